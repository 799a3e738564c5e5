"""IPRange: construction, containment and overlap, CIDR decomposition and range parsing."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given

from ipledger.core.addresses import IPNetwork
from ipledger.core.errors import FamilyMismatchError, InvalidInputError
from ipledger.core.ranges import IPRange, iter_cidr_blocks, parse_range
from tests.core.strategies import PROPERTY, members, small_span_tuples, small_spans_and_value, spans

V4_TOP = (1 << 32) - 1
V6_TOP = (1 << 128) - 1

small_span_pairs = small_span_tuples(2)


def _summarized(span: IPRange) -> list[IPNetwork]:
    return list(ipaddress.summarize_address_range(span.first_address, span.last_address))


# --- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "first", "last"),
    [
        pytest.param(4, 5, 4, id="start-after-end"),
        pytest.param(4, -1, 0, id="negative"),
        pytest.param(4, 0, V4_TOP + 1, id="ipv4-past-the-top"),
        pytest.param(6, 0, V6_TOP + 1, id="ipv6-past-the-top"),
    ],
)
def test_iprange_rejects_spans_out_of_order_or_bounds(version: int, first: int, last: int) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(f"invalid IPv{version} span {first}..{last}")):
        IPRange(version, first, last)


def test_iprange_rejects_an_unknown_version() -> None:
    with pytest.raises(InvalidInputError, match="unknown IP version 5"):
        IPRange(5, 0, 0)


@pytest.mark.parametrize(
    ("version", "first", "last"),
    [
        pytest.param(4, 0, 0, id="ipv4-zero"),
        pytest.param(4, V4_TOP, V4_TOP, id="ipv4-top"),
        pytest.param(4, 0, V4_TOP, id="ipv4-whole-space"),
        pytest.param(6, 0, 0, id="ipv6-zero"),
        pytest.param(6, V6_TOP, V6_TOP, id="ipv6-top"),
        pytest.param(6, 0, V6_TOP, id="ipv6-whole-space"),
    ],
)
def test_iprange_accepts_the_edges_of_each_space(version: int, first: int, last: int) -> None:
    assert IPRange(version, first, last).num_addresses == last - first + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("0.0.0.0/0", IPRange(4, 0, V4_TOP), id="ipv4-slash-0"),
        pytest.param("10.0.0.0/31", IPRange(4, 0x0A000000, 0x0A000001), id="ipv4-slash-31"),
        pytest.param("255.255.255.255/32", IPRange(4, V4_TOP, V4_TOP), id="ipv4-top-slash-32"),
        pytest.param("::/0", IPRange(6, 0, V6_TOP), id="ipv6-slash-0"),
        pytest.param("::/127", IPRange(6, 0, 1), id="ipv6-slash-127"),
        pytest.param("::/128", IPRange(6, 0, 0), id="ipv6-zero-slash-128"),
    ],
)
def test_iprange_from_network_spans_network_to_broadcast(text: str, expected: IPRange) -> None:
    assert IPRange.from_network(ipaddress.ip_network(text)) == expected


@pytest.mark.parametrize(
    "text", ["0.0.0.0", "255.255.255.255", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], ids=str
)
def test_iprange_from_address_is_a_single_address(text: str) -> None:
    address = ipaddress.ip_address(text)

    assert IPRange.from_address(address) == IPRange(address.version, int(address), int(address))


def test_iprange_from_addresses_spans_start_to_end() -> None:
    span = IPRange.from_addresses(ipaddress.ip_address("10.0.0.10"), ipaddress.ip_address("10.0.0.99"))

    assert (str(span.first_address), str(span.last_address), span.num_addresses) == (
        "10.0.0.10",
        "10.0.0.99",
        90,
    )


def test_iprange_from_addresses_rejects_start_after_end() -> None:
    with pytest.raises(
        InvalidInputError, match=f"^{re.escape('range 10.0.0.2-10.0.0.1: start is after end')}$"
    ):
        IPRange.from_addresses(ipaddress.ip_address("10.0.0.2"), ipaddress.ip_address("10.0.0.1"))


def test_iprange_from_addresses_rejects_mixed_families() -> None:
    with pytest.raises(FamilyMismatchError, match=re.escape("10.0.0.1 is IPv4 but ::1 is IPv6")):
        IPRange.from_addresses(ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("::1"))


@pytest.mark.parametrize(
    ("span", "first", "last"),
    [
        pytest.param(IPRange(4, 0, (1 << 32) - 1), "0.0.0.0", "255.255.255.255", id="ipv4-whole-space"),
        pytest.param(IPRange(6, 0, 1), "::", "::1", id="ipv6-not-ipv4"),
        pytest.param(
            IPRange(6, V6_TOP, V6_TOP),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            id="ipv6-top",
        ),
    ],
)
def test_iprange_first_and_last_address_are_of_its_family(span: IPRange, first: str, last: str) -> None:
    assert (span.first_address, span.last_address) == (
        ipaddress.ip_address(first),
        ipaddress.ip_address(last),
    )


@pytest.mark.parametrize(
    ("span", "text"),
    [
        pytest.param(IPRange(4, 0, 0), "0.0.0.0", id="ipv4-single"),
        pytest.param(IPRange(4, 10, 20), "0.0.0.10-0.0.0.20", id="ipv4-span"),
        pytest.param(IPRange(6, 0, V6_TOP), "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", id="ipv6-whole"),
        pytest.param(IPRange(6, 1, 1), "::1", id="ipv6-single"),
    ],
)
def test_iprange_str_is_an_address_or_start_dash_end(span: IPRange, text: str) -> None:
    assert str(span) == text


def test_iprange_sorts_by_version_then_first_then_last() -> None:
    unsorted = [IPRange(6, 0, 0), IPRange(4, 5, 9), IPRange(4, 5, 6), IPRange(4, 0, V4_TOP)]

    assert sorted(unsorted) == [IPRange(4, 0, V4_TOP), IPRange(4, 5, 6), IPRange(4, 5, 9), IPRange(6, 0, 0)]


# --- overlaps / contains ---------------------------------------------------------------------


@PROPERTY
@given(small_span_pairs)
def test_iprange_overlaps_matches_set_intersection(pair: tuple[IPRange, IPRange]) -> None:
    first, second = pair

    assert first.overlaps(second) == bool(members([first]) & members([second]))


@PROPERTY
@given(small_span_pairs)
def test_iprange_contains_matches_subset(pair: tuple[IPRange, IPRange]) -> None:
    first, second = pair

    assert first.contains(second) == (members([second]) <= members([first]))


@PROPERTY
@given(small_spans_and_value(min_size=1, max_size=1))
def test_iprange_contains_value_matches_membership(case: tuple[list[IPRange], int]) -> None:
    [span], value = case

    assert span.contains_value(value) == (value in members([span]))


@pytest.mark.parametrize(
    ("first", "second", "overlaps", "contains"),
    [
        pytest.param(IPRange(4, 0, 9), IPRange(4, 10, 19), False, False, id="adjacent"),
        pytest.param(IPRange(4, 0, 10), IPRange(4, 10, 19), True, False, id="touching-one-address"),
        pytest.param(IPRange(4, 0, 99), IPRange(4, 10, 19), True, True, id="nested"),
        pytest.param(IPRange(4, 10, 19), IPRange(4, 0, 99), True, False, id="nested-reversed"),
        pytest.param(IPRange(4, 10, 19), IPRange(4, 10, 19), True, True, id="equal"),
        pytest.param(IPRange(6, 0, V6_TOP), IPRange(6, V6_TOP, V6_TOP), True, True, id="ipv6-whole-and-top"),
        pytest.param(IPRange(6, 0, 0), IPRange(6, 1, V6_TOP), False, False, id="ipv6-zero-and-rest"),
    ],
)
def test_iprange_overlaps_and_contains_edges(
    first: IPRange, second: IPRange, overlaps: bool, contains: bool
) -> None:
    assert (first.overlaps(second), first.contains(second)) == (overlaps, contains)


@pytest.mark.parametrize("method", ["overlaps", "contains"])
def test_iprange_comparisons_reject_mixed_families(method: str) -> None:
    with pytest.raises(FamilyMismatchError, match=f"^{re.escape('0.0.0.0 is IPv4 but :: is IPv6')}$"):
        getattr(IPRange(4, 0, 0), method)(IPRange(6, 0, 0))


# --- is_network / to_networks / iter_cidr_blocks ---------------------------------------------


@PROPERTY
@given(spans())
def test_iprange_to_networks_matches_summarize_address_range(span: IPRange) -> None:
    assert span.to_networks() == _summarized(span)


@PROPERTY
@given(small_span_tuples(1))
def test_iprange_to_networks_matches_summarize_address_range_in_small_spaces(spans_: tuple[IPRange]) -> None:
    [span] = spans_

    assert span.to_networks() == _summarized(span)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        pytest.param(IPRange(4, 0, 0), True, id="ipv4-zero-slash-32"),
        pytest.param(IPRange(4, 2, 3), True, id="aligned-pair"),
        pytest.param(IPRange(4, 1, 2), False, id="unaligned-pair"),
        pytest.param(IPRange(4, 0, 2), False, id="three-addresses"),
        pytest.param(IPRange(4, 0, V4_TOP), True, id="ipv4-whole-space"),
        pytest.param(IPRange(6, 0, V6_TOP), True, id="ipv6-whole-space"),
        pytest.param(IPRange(6, 1, V6_TOP), False, id="ipv6-all-but-zero"),
    ],
)
def test_iprange_is_network_edges(span: IPRange, expected: bool) -> None:
    assert span.is_network() is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(9, False, id="below"),
        pytest.param(10, True, id="first"),
        pytest.param(19, True, id="last"),
        pytest.param(20, False, id="above"),
    ],
)
def test_iprange_contains_value_is_inclusive(value: int, expected: bool) -> None:
    assert IPRange(4, 10, 19).contains_value(value) is expected


@PROPERTY
@given(spans())
def test_iprange_is_network_when_one_cidr_block_covers_it(span: IPRange) -> None:
    assert span.is_network() == (len(_summarized(span)) == 1)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        pytest.param(IPRange(4, 0, V4_TOP), ["0.0.0.0/0"], id="ipv4-whole-space"),
        pytest.param(IPRange(4, V4_TOP, V4_TOP), ["255.255.255.255/32"], id="ipv4-top"),
        pytest.param(
            IPRange(4, 1, 6), ["0.0.0.1/32", "0.0.0.2/31", "0.0.0.4/31", "0.0.0.6/32"], id="ipv4-ragged"
        ),
        pytest.param(
            IPRange(4, 0, V4_TOP - 1),
            [str(ipaddress.IPv4Network(((1 << 32) - (1 << (33 - n)), n))) for n in range(1, 33)],
            id="ipv4-all-but-top",
        ),
        pytest.param(IPRange(6, 0, V6_TOP), ["::/0"], id="ipv6-whole-space"),
        pytest.param(
            IPRange(6, V6_TOP - 1, V6_TOP), ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"], id="ipv6-top"
        ),
    ],
)
def test_iprange_to_networks_edges(span: IPRange, expected: list[str]) -> None:
    assert span.to_networks() == [ipaddress.ip_network(text) for text in expected]


@pytest.mark.parametrize(
    ("first", "last", "version", "expected"),
    [
        pytest.param(0, 0, 4, [(0, 32)], id="ipv4-zero"),
        pytest.param(0, V4_TOP, 4, [(0, 0)], id="ipv4-whole-space"),
        pytest.param(0, V6_TOP, 6, [(0, 0)], id="ipv6-whole-space"),
        pytest.param(2, 9, 4, [(2, 31), (4, 30), (8, 31)], id="ipv4-ragged"),
    ],
)
def test_iter_cidr_blocks_yields_largest_aligned_blocks(
    first: int, last: int, version: int, expected: list[tuple[int, int]]
) -> None:
    assert list(iter_cidr_blocks(first, last, version)) == expected


# --- parse_range -----------------------------------------------------------------------------


@PROPERTY
@given(spans().filter(lambda span: span.first != span.last))
def test_parse_range_round_trips_str(span: IPRange) -> None:
    assert parse_range(str(span)) == span


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("10.0.0.10-10.0.0.99", IPRange(4, 0x0A00000A, 0x0A000063), id="ipv4"),
        pytest.param(" 10.0.0.5 - 10.0.0.5 ", IPRange(4, 0x0A000005, 0x0A000005), id="single-with-spaces"),
        pytest.param("0.0.0.0-255.255.255.255", IPRange(4, 0, V4_TOP), id="ipv4-whole-space"),
        pytest.param(
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPRange(6, 0, V6_TOP), id="ipv6-whole-space"
        ),
    ],
)
def test_parse_range_accepts_inclusive_ends(text: str, expected: IPRange) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        pytest.param("10.0.0.10", InvalidInputError, "a range is written start-end", id="no-dash"),
        pytest.param("10.0.0.9-10.0.0.1", InvalidInputError, "start is after end", id="start-after-end"),
        pytest.param(
            "10.0.0.1-::1", FamilyMismatchError, "10.0.0.1 is IPv4 but ::1 is IPv6", id="mixed-families"
        ),
        pytest.param("10.0.0.1-10.0.0.256", InvalidInputError, "not a valid IPv4", id="malformed-end"),
        pytest.param("-10.0.0.1", InvalidInputError, "not a valid IPv4", id="missing-start"),
        pytest.param("10.0.0.0/24-10.0.1.0/24", InvalidInputError, "not a prefix", id="prefixes"),
    ],
)
def test_parse_range_rejects_bad_input(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        parse_range(text)
