"""Layout of a space from scratch: conflicts between objects, owners and free space."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given

from ipledger.core.ipset import IPSet
from ipledger.core.layout import Conflict, Item, Kind, find_conflicts, lay_out
from ipledger.core.ranges import IPRange
from tests.core.strategies import PROPERTY, layout_items, members


def _item(kind: Kind, text: str, key: int = 0) -> Item:
    if "/" in text:
        span = IPRange.from_network(ipaddress.ip_network(text))
    elif "-" in text:
        start, _, end = text.partition("-")
        span = IPRange.from_addresses(ipaddress.ip_address(start), ipaddress.ip_address(end))
    else:
        span = IPRange.from_address(ipaddress.ip_address(text))
    return Item(kind, key, span)


def _prefix(text: str, key: int = 0) -> Item:
    return _item(Kind.PREFIX, text, key)


def _range(text: str, key: int = 0) -> Item:
    return _item(Kind.RANGE, text, key)


def _address(text: str, key: int = 0) -> Item:
    return _item(Kind.ADDRESS, text, key)


def _breaks_the_rules(items: list[Item]) -> bool:
    """Brute force over every pair: whether any rule of the ledger is broken."""
    prefixes = [item.span for item in items if item.kind is Kind.PREFIX]
    ranges = [item.span for item in items if item.kind is Kind.RANGE]
    for kind in Kind:
        spans = [item.span for item in items if item.kind is kind]
        if len(set(spans)) < len(spans):
            return True
    if any(a.overlaps(b) for index, a in enumerate(ranges) for b in ranges[index + 1 :]):
        return True
    for span in ranges:
        meeting = [prefix for prefix in prefixes if prefix.overlaps(span)]
        if not meeting or not all(prefix.contains(span) for prefix in meeting):
            return True
    return False


def _innermost(span: IPRange, holders: list[Item]) -> Item | None:
    around = [holder for holder in holders if holder.span.contains(span) and holder.span != span]
    return min(around, key=lambda holder: holder.span.num_addresses, default=None)


def _brute_owner(item: Item, items: list[Item]) -> Item | None:
    prefixes = [other for other in items if other.kind is Kind.PREFIX]
    ranges = [other for other in items if other.kind is Kind.RANGE]
    if item.kind is Kind.PREFIX:
        return _innermost(item.span, prefixes)
    if item.kind is Kind.RANGE:
        holders = [prefix for prefix in prefixes if prefix.span.contains(item.span)]
        return min(holders, key=lambda holder: holder.span.num_addresses, default=None)
    holding_range = next((other for other in ranges if other.span.contains(item.span)), None)
    if holding_range is not None:
        return holding_range
    holders = [prefix for prefix in prefixes if prefix.span.contains(item.span)]
    return min(holders, key=lambda holder: holder.span.num_addresses, default=None)


# --- Item and Conflict -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "label"),
    [
        pytest.param(_prefix("10.0.0.0/24"), "prefix 10.0.0.0/24", id="prefix"),
        pytest.param(_prefix("::/0"), "prefix ::/0", id="ipv6-prefix"),
        pytest.param(_range("10.0.0.1-10.0.0.9"), "range 10.0.0.1-10.0.0.9", id="range"),
        pytest.param(_address("2001:db8::1"), "address 2001:db8::1", id="address"),
    ],
)
def test_item_label_names_kind_and_place(item: Item, label: str) -> None:
    assert item.label == label


@pytest.mark.parametrize(
    ("conflict", "text"),
    [
        pytest.param(
            Conflict(_range("10.0.0.5-10.0.0.9"), _range("10.0.0.1-10.0.0.6"), "overlaps"),
            "range 10.0.0.5-10.0.0.9 overlaps range 10.0.0.1-10.0.0.6",
            id="pair",
        ),
        pytest.param(
            Conflict(_range("10.0.0.5-10.0.0.9"), None, "is not inside any prefix"),
            "range 10.0.0.5-10.0.0.9 is not inside any prefix",
            id="single",
        ),
    ],
)
def test_conflict_describe_names_both_objects(conflict: Conflict, text: str) -> None:
    assert conflict.describe() == text


# --- find_conflicts --------------------------------------------------------------------------


@PROPERTY
@given(layout_items(conflict_free=False))
def test_find_conflicts_reports_something_exactly_when_a_rule_is_broken(items: list[Item]) -> None:
    assert bool(find_conflicts(items)) == _breaks_the_rules(items)


@PROPERTY
@given(layout_items(conflict_free=True))
def test_find_conflicts_accepts_items_that_keep_the_rules(items: list[Item]) -> None:
    assert find_conflicts(items) == []


OVERLAPPING_RANGES = [_prefix("10.0.0.0/24"), _range("10.0.0.1-10.0.0.9", 1), _range("10.0.0.5-10.0.0.20", 2)]
RANGE_ACROSS_PREFIX_END = [_prefix("10.0.0.0/25"), _range("10.0.0.100-10.0.0.200")]
PREFIX_INSIDE_RANGE = [_prefix("10.0.0.0/24"), _range("10.0.0.0-10.0.0.127"), _prefix("10.0.0.64/26")]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param([], [], id="empty"),
        pytest.param(
            [_prefix("10.0.0.0/24", 1), _prefix("10.0.0.0/24", 2)],
            [("prefix 10.0.0.0/24", "duplicates", "prefix 10.0.0.0/24")],
            id="duplicate-prefix",
        ),
        pytest.param(
            [_address("0.0.0.0", 1), _address("0.0.0.0", 2)],
            [("address 0.0.0.0", "duplicates", "address 0.0.0.0")],
            id="duplicate-address-zero",
        ),
        pytest.param(
            OVERLAPPING_RANGES,
            [("range 10.0.0.5-10.0.0.20", "overlaps", "range 10.0.0.1-10.0.0.9")],
            id="overlapping-ranges",
        ),
        pytest.param(
            [_prefix("10.0.0.0/24"), _range("10.0.0.1-10.0.0.20", 1), _range("10.0.0.5-10.0.0.9", 2)],
            [("range 10.0.0.5-10.0.0.9", "overlaps", "range 10.0.0.1-10.0.0.20")],
            id="range-inside-range",
        ),
        pytest.param(
            [_range("10.0.0.1-10.0.0.9")],
            [("range 10.0.0.1-10.0.0.9", "is not inside any prefix", None)],
            id="stray-range",
        ),
        pytest.param(
            RANGE_ACROSS_PREFIX_END,
            [("range 10.0.0.100-10.0.0.200", "straddles the end of", "prefix 10.0.0.0/25")],
            id="range-across-prefix-end",
        ),
        pytest.param(
            PREFIX_INSIDE_RANGE,
            [("prefix 10.0.0.64/26", "lies inside or across", "range 10.0.0.0-10.0.0.127")],
            id="prefix-inside-range",
        ),
        pytest.param(
            [_prefix("10.0.0.0/24"), _range("10.0.0.0-10.0.0.255"), _address("10.0.0.7")],
            [],
            id="range-filling-its-prefix",
        ),
        pytest.param(
            [_prefix("10.0.0.0/24"), _prefix("10.0.1.0/24"), _range("10.0.0.200-10.0.0.255")],
            [],
            id="range-at-the-end-before-adjacent-prefix",
        ),
        pytest.param([_address("10.9.9.9")], [], id="address-outside-prefixes"),
        pytest.param(
            [
                _prefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"),
                _range("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ],
            [],
            id="ipv6-range-at-the-top",
        ),
    ],
)
def test_find_conflicts_names_each_broken_rule(
    items: list[Item], expected: list[tuple[str, str, str | None]]
) -> None:
    found = find_conflicts(items)

    assert [(c.first.label, c.reason, c.second.label if c.second else None) for c in found] == expected


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param(
            OVERLAPPING_RANGES,
            "range 10.0.0.5-10.0.0.20 overlaps range 10.0.0.1-10.0.0.9",
            id="overlapping-ranges",
        ),
        pytest.param(
            RANGE_ACROSS_PREFIX_END,
            "range 10.0.0.100-10.0.0.200 straddles the end of prefix 10.0.0.0/25",
            id="range-across-prefix-end",
        ),
        pytest.param(
            PREFIX_INSIDE_RANGE,
            "prefix 10.0.0.64/26 lies inside or across range 10.0.0.0-10.0.0.127",
            id="prefix-inside-range",
        ),
    ],
)
def test_find_conflicts_describe_names_the_other_kind_once(items: list[Item], message: str) -> None:
    # The reasons end in the other item's kind, which its label repeats: the core says
    # "overlaps range range 10.0.0.1-10.0.0.9" and "straddles the end of prefix prefix 10.0.0.0/25".
    [conflict] = find_conflicts(items)

    assert conflict.describe() == message


# --- lay_out ---------------------------------------------------------------------------------


@PROPERTY
@given(layout_items(conflict_free=True))
def test_lay_out_owner_is_the_innermost_holder(items: list[Item]) -> None:
    owners = lay_out(items).owners

    assert owners == {(item.kind, item.key): _brute_owner(item, items) for item in items}


@PROPERTY
@given(layout_items(conflict_free=True))
def test_lay_out_free_space_is_the_span_less_what_it_owns(items: list[Item]) -> None:
    layout = lay_out(items)
    expected = {
        (item.kind, item.key): members([item.span])
        - members(other.span for other in items if layout.owners[(other.kind, other.key)] == item)
        for item in items
        if item.kind is not Kind.ADDRESS
    }

    assert {key: members(free) for key, free in layout.free.items()} == expected


def test_lay_out_of_nothing_is_empty() -> None:
    layout = lay_out([])

    assert (layout.owners, layout.free) == ({}, {})


def test_lay_out_nests_prefix_range_and_address() -> None:
    outer, inner = _prefix("10.0.0.0/16", 1), _prefix("10.0.0.0/24", 2)
    pool, host, loose = _range("10.0.0.10-10.0.0.19", 1), _address("10.0.0.15", 1), _address("10.0.0.200", 2)

    layout = lay_out([host, pool, loose, outer, inner])

    assert layout.owners == {
        (Kind.PREFIX, 1): None,
        (Kind.PREFIX, 2): outer,
        (Kind.RANGE, 1): inner,
        (Kind.ADDRESS, 1): pool,
        (Kind.ADDRESS, 2): inner,
    }
    assert layout.free[(Kind.RANGE, 1)] == IPSet(4, ((0x0A00000A, 0x0A00000E), (0x0A000010, 0x0A000013)))
