"""IPSet: merging, set algebra against a plain set of integers, membership and CIDR cover."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import FrozenInstanceError
from itertools import pairwise

import pytest
from hypothesis import given

from ipledger.core.errors import FamilyMismatchError
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange
from tests.core.strategies import PROPERTY, members, small_span_lists, small_spans_and_value

V4_TOP = (1 << 32) - 1
V6_TOP = (1 << 128) - 1


one_set = small_span_lists(1).map(lambda lists: lists[0])
two_sets = small_span_lists(2)


def _of(ranges: list[IPRange]) -> IPSet:
    return IPSet.of(ranges[0].version if ranges else 4, ranges)


def _pair(first: list[IPRange], second: list[IPRange]) -> tuple[IPSet, IPSet]:
    version = next((item.version for item in [*first, *second]), 4)
    return IPSet.of(version, first), IPSet.of(version, second)


# --- construction and canonical form ---------------------------------------------------------


@PROPERTY
@given(one_set)
def test_ipset_of_holds_exactly_the_union_of_its_ranges(ranges: list[IPRange]) -> None:
    assert members(_of(ranges)) == members(ranges)


@PROPERTY
@given(one_set)
def test_ipset_of_keeps_spans_sorted_disjoint_and_not_adjacent(ranges: list[IPRange]) -> None:
    spans_ = _of(ranges).spans

    assert all(first <= last for first, last in spans_)
    assert all(left[1] + 1 < right[0] for left, right in pairwise(spans_))


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        pytest.param([], (), id="empty"),
        pytest.param([IPRange(4, 0, 9), IPRange(4, 10, 19)], ((0, 19),), id="adjacent-merge"),
        pytest.param([IPRange(4, 0, 99), IPRange(4, 10, 19)], ((0, 99),), id="nested-merge"),
        pytest.param([IPRange(4, 10, 19), IPRange(4, 0, 12)], ((0, 19),), id="overlapping-unsorted"),
        pytest.param([IPRange(4, 0, 8), IPRange(4, 10, 19)], ((0, 8), (10, 19)), id="gap-of-one"),
        pytest.param(
            [IPRange(4, 0, 0), IPRange(4, V4_TOP, V4_TOP)], ((0, 0), (V4_TOP, V4_TOP)), id="zero-and-top"
        ),
    ],
)
def test_ipset_of_merges_touching_and_overlapping_ranges(
    ranges: list[IPRange], expected: tuple[tuple[int, int], ...]
) -> None:
    assert IPSet.of(4, ranges).spans == expected


def test_ipset_of_rejects_a_range_of_the_other_family() -> None:
    with pytest.raises(FamilyMismatchError, match=f"^{re.escape(':: is IPv6, expected IPv4')}$"):
        IPSet.of(4, [IPRange(4, 0, 0), IPRange(6, 0, 0)])


def test_ipset_default_is_empty() -> None:
    empty = IPSet(6)

    assert (empty.is_empty(), len(empty), empty.num_addresses, list(empty), empty.to_networks()) == (
        True,
        0,
        0,
        [],
        [],
    )


def test_ipset_iterates_its_spans_as_ranges() -> None:
    ipset = IPSet(4, ((0, 9), (20, 29)))

    assert (list(ipset), len(ipset), ipset.is_empty()) == ([IPRange(4, 0, 9), IPRange(4, 20, 29)], 2, False)


def test_ipset_is_frozen() -> None:
    ipset = IPSet(4, ((0, 9),))

    with pytest.raises(FrozenInstanceError):
        ipset.spans = ()  # type: ignore[misc]


@PROPERTY
@given(one_set)
def test_ipset_num_addresses_matches_set_size(ranges: list[IPRange]) -> None:
    assert _of(ranges).num_addresses == len(members(ranges))


@pytest.mark.parametrize(
    ("ipset", "expected"),
    [
        pytest.param(IPSet(4, ((0, V4_TOP),)), 1 << 32, id="ipv4-whole-space"),
        pytest.param(IPSet(6, ((0, V6_TOP),)), 1 << 128, id="ipv6-whole-space"),
        pytest.param(IPSet(6, ((0, 0), (V6_TOP, V6_TOP))), 2, id="ipv6-zero-and-top"),
    ],
)
def test_ipset_num_addresses_counts_whole_spaces(ipset: IPSet, expected: int) -> None:
    assert ipset.num_addresses == expected


# --- set algebra -----------------------------------------------------------------------------


@PROPERTY
@given(two_sets)
def test_ipset_union_matches_set_union(lists: tuple[list[IPRange], list[IPRange]]) -> None:
    first, second = _pair(*lists)

    assert members(first.union(second)) == members(first) | members(second)


@PROPERTY
@given(two_sets)
def test_ipset_intersection_matches_set_intersection(lists: tuple[list[IPRange], list[IPRange]]) -> None:
    first, second = _pair(*lists)

    assert members(first.intersection(second)) == members(first) & members(second)


@PROPERTY
@given(two_sets)
def test_ipset_difference_matches_set_difference(lists: tuple[list[IPRange], list[IPRange]]) -> None:
    first, second = _pair(*lists)

    assert members(first.difference(second)) == members(first) - members(second)


@PROPERTY
@given(two_sets)
def test_ipset_operations_return_canonical_sets(lists: tuple[list[IPRange], list[IPRange]]) -> None:
    first, second = _pair(*lists)

    for result in (first.union(second), first.intersection(second), first.difference(second)):
        assert result == IPSet.of(result.version, list(result))


@pytest.mark.parametrize(
    ("left", "right", "union", "intersection", "difference"),
    [
        pytest.param((), (), (), (), (), id="both-empty"),
        pytest.param(((0, 9),), (), ((0, 9),), (), ((0, 9),), id="right-empty"),
        pytest.param((), ((0, 9),), ((0, 9),), (), (), id="left-empty"),
        pytest.param(((0, 9),), ((10, 19),), ((0, 19),), (), ((0, 9),), id="adjacent"),
        pytest.param(((0, 99),), ((10, 19),), ((0, 99),), ((10, 19),), ((0, 9), (20, 99)), id="nested"),
        pytest.param(((10, 19),), ((0, 99),), ((0, 99),), ((10, 19),), (), id="nested-reversed"),
        pytest.param(
            ((0, 9), (20, 29)), ((5, 24),), ((0, 29),), ((5, 9), (20, 24)), ((0, 4), (25, 29)), id="bridging"
        ),
        pytest.param(
            ((0, V4_TOP),),
            ((0, 0), (V4_TOP, V4_TOP)),
            ((0, V4_TOP),),
            ((0, 0), (V4_TOP, V4_TOP)),
            ((1, V4_TOP - 1),),
            id="whole-minus-ends",
        ),
    ],
)
def test_ipset_algebra_edges(
    left: tuple[tuple[int, int], ...],
    right: tuple[tuple[int, int], ...],
    union: tuple[tuple[int, int], ...],
    intersection: tuple[tuple[int, int], ...],
    difference: tuple[tuple[int, int], ...],
) -> None:
    first, second = IPSet(4, left), IPSet(4, right)

    assert (
        first.union(second).spans,
        first.intersection(second).spans,
        first.difference(second).spans,
    ) == (union, intersection, difference)


@pytest.mark.parametrize("operation", ["union", "intersection", "difference"])
def test_ipset_algebra_rejects_mixed_families(operation: str) -> None:
    with pytest.raises(FamilyMismatchError, match=r"^cannot combine an IPv4 set with an IPv6 set$"):
        getattr(IPSet(4, ((0, 0),)), operation)(IPSet(6, ((0, 0),)))


# --- contains_value --------------------------------------------------------------------------


@PROPERTY
@given(small_spans_and_value())
def test_ipset_contains_value_matches_membership(case: tuple[list[IPRange], int]) -> None:
    ranges, value = case

    assert _of(ranges).contains_value(value) == (value in members(ranges))


@pytest.mark.parametrize(
    ("ipset", "value", "expected"),
    [
        pytest.param(IPSet(4), 0, False, id="empty"),
        pytest.param(IPSet(4, ((5, 9),)), 4, False, id="below-first-span"),
        pytest.param(IPSet(4, ((5, 9),)), 5, True, id="first-of-span"),
        pytest.param(IPSet(4, ((5, 9),)), 9, True, id="last-of-span"),
        pytest.param(IPSet(4, ((5, 9), (20, 29))), 10, False, id="between-spans"),
        pytest.param(IPSet(4, ((0, 0),)), 0, True, id="ipv4-zero"),
        pytest.param(IPSet(6, ((V6_TOP, V6_TOP),)), V6_TOP, True, id="ipv6-top"),
    ],
)
def test_ipset_contains_value_edges(ipset: IPSet, value: int, expected: bool) -> None:
    assert ipset.contains_value(value) is expected


# --- iter_blocks / to_networks ---------------------------------------------------------------


@PROPERTY
@given(one_set)
def test_ipset_to_networks_covers_exactly_the_set(ranges: list[IPRange]) -> None:
    networks = _of(ranges).to_networks()

    assert members(IPRange.from_network(network) for network in networks) == members(ranges)
    assert sum(network.num_addresses for network in networks) == len(members(ranges))


@PROPERTY
@given(one_set)
def test_ipset_to_networks_matches_collapse_addresses(ranges: list[IPRange]) -> None:
    version = ranges[0].version if ranges else 4
    singles = [ipaddress.ip_network((value, 32 if version == 4 else 128)) for value in members(ranges)]

    # One family at run time; the checker only sees the union of both.
    assert _of(ranges).to_networks() == list(ipaddress.collapse_addresses(singles))  # type: ignore[type-var]


def test_ipset_iter_blocks_yields_first_and_prefixlen_of_each_block() -> None:
    assert list(IPSet(4, ((1, 6), (8, 15))).iter_blocks()) == [(1, 32), (2, 31), (4, 31), (6, 32), (8, 29)]


@pytest.mark.parametrize(
    ("ipset", "expected"),
    [
        pytest.param(IPSet(4, ((0, V4_TOP),)), ["0.0.0.0/0"], id="ipv4-whole-space"),
        pytest.param(IPSet(6, ((0, V6_TOP),)), ["::/0"], id="ipv6-whole-space"),
        pytest.param(
            IPSet(6, ((0, 0), (V6_TOP, V6_TOP))),
            ["::/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"],
            id="ipv6-zero-and-top",
        ),
        pytest.param(IPSet(4, ((0, 1), (4, 7))), ["0.0.0.0/31", "0.0.0.4/30"], id="ipv4-two-spans"),
    ],
)
def test_ipset_to_networks_edges(ipset: IPSet, expected: list[str]) -> None:
    assert ipset.to_networks() == [ipaddress.ip_network(text) for text in expected]
