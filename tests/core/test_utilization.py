"""Utilization: percentages, direct parents, and used / covered / unit measures of prefixes."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given

from ipledger.core.addresses import IPNetwork
from ipledger.core.ranges import IPRange
from ipledger.core.utilization import (
    PrefixShape,
    Usage,
    direct_parents,
    measure_prefixes,
    percent_of,
    units_between,
)
from tests.core.strategies import PROPERTY, MeasureCase, measure_cases, members, small_network_lists


def _span(text: str) -> IPRange:
    if "-" in text:
        start, _, end = text.partition("-")
        return IPRange.from_addresses(ipaddress.ip_address(start), ipaddress.ip_address(end))
    return IPRange.from_network(ipaddress.ip_network(text))


def _value(text: str) -> int:
    return int(ipaddress.ip_address(text))


def _brute_parents(spans: list[IPRange]) -> list[int | None]:
    """For each span, the smallest other span that contains it, found by comparing every pair."""
    parents: list[int | None] = []
    for index, span in enumerate(spans):
        holders = [other for other in range(len(spans)) if other != index and spans[other].contains(span)]
        parents.append(min(holders, key=lambda other: spans[other].num_addresses, default=None))
    return parents


def _brute_usage(case: MeasureCase) -> list[Usage]:
    """Every measure recomputed from plain sets of address integers."""
    spans = [shape.span for shape in case.prefixes]
    parents = _brute_parents(spans)
    held = set(case.addresses) | members(case.ranges)
    usages = []
    for index, shape in enumerate(case.prefixes):
        inside = {value for value in held if shape.span.contains_value(value)}
        covered = sum(spans[child].num_addresses for child, parent in enumerate(parents) if parent == index)
        units_total = units_used = 0
        if shape.unit_prefixlen is not None:
            shift = (32 if shape.span.version == 4 else 128) - shape.unit_prefixlen
            units_total = max(1, shape.span.num_addresses >> shift)
            units_used = len({value >> shift for value in inside})
        usages.append(
            Usage(shape.span.num_addresses, shape.usable, len(inside), covered, units_total, units_used)
        )
    return usages


# --- percent_of and Usage --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        pytest.param(0, 0, 0.0, id="nothing-of-nothing"),
        pytest.param(3, 0, 100.0, id="something-of-nothing"),
        pytest.param(0, -1, 0.0, id="negative-whole"),
        pytest.param(0, 256, 0.0, id="empty"),
        pytest.param(64, 256, 25.0, id="quarter"),
        pytest.param(256, 256, 100.0, id="full"),
        pytest.param(1, 1 << 128, 100.0 / (1 << 128), id="one-of-ipv6-space"),
    ],
)
def test_percent_of_is_part_over_whole(part: int, whole: int, expected: float) -> None:
    assert percent_of(part, whole) == expected


@pytest.mark.parametrize(
    ("usage", "used", "covered", "units", "headline"),
    [
        pytest.param(Usage(256, 254, 127, 0), 50.0, 0.0, 0.0, 50.0, id="leaf-with-hosts"),
        pytest.param(Usage(256, 254, 0, 192), 0.0, 75.0, 0.0, 75.0, id="container-with-subnets"),
        pytest.param(Usage(4, 0, 0, 0), 0.0, 0.0, 0.0, 0.0, id="nothing-usable"),
        pytest.param(
            Usage(1 << 80, 1 << 80, 2, 0, 1 << 16, 1 << 14),
            2 / (1 << 80) * 100,
            0.0,
            25.0,
            2 / (1 << 80) * 100,
            id="ipv6-units",
        ),
    ],
)
def test_usage_percentages_and_the_headline_is_the_larger(
    usage: Usage, used: float, covered: float, units: float, headline: float
) -> None:
    assert (usage.used_percent, usage.covered_percent, usage.units_percent, usage.percent) == (
        used,
        covered,
        units,
        headline,
    )


@pytest.mark.parametrize(
    ("span", "unit_prefixlen", "expected"),
    [
        pytest.param(
            "2001:db8::/48", 64, (0x20010DB8_0000_0000, 0x20010DB8_0000_FFFF), id="ipv6-slash-48-in-64s"
        ),
        pytest.param(
            "2001:db8:0:5::1-2001:db8:0:5::9",
            64,
            (0x20010DB8_0000_0005, 0x20010DB8_0000_0005),
            id="ipv6-one-unit",
        ),
        pytest.param("::/0", 0, (0, 0), id="ipv6-whole-space-one-unit"),
        pytest.param("10.0.0.0/16", 24, (0x0A0000, 0x0A00FF), id="ipv4-slash-16-in-24s"),
        pytest.param("255.255.255.255/32", 32, ((1 << 32) - 1, (1 << 32) - 1), id="ipv4-top-address-units"),
    ],
)
def test_units_between_numbers_the_first_and_last_unit(
    span: str, unit_prefixlen: int, expected: tuple[int, int]
) -> None:
    assert units_between(_span(span), unit_prefixlen) == expected


# --- direct_parents --------------------------------------------------------------------------


@PROPERTY
@given(small_network_lists())
def test_direct_parents_is_the_smallest_containing_prefix(networks_: list[IPNetwork]) -> None:
    spans = [IPRange.from_network(network) for network in networks_]

    assert direct_parents(spans) == _brute_parents(spans)


@pytest.mark.parametrize(
    ("prefixes", "expected"),
    [
        pytest.param([], [], id="empty"),
        pytest.param(["10.0.0.0/24"], [None], id="alone"),
        pytest.param(["10.0.0.0/24", "10.0.1.0/24"], [None, None], id="adjacent-siblings"),
        pytest.param(["10.0.0.0/24", "10.0.0.0/16", "10.0.0.0/8"], [1, 2, None], id="nested-same-start"),
        pytest.param(["10.0.255.0/24", "10.0.0.0/16", "10.0.128.0/17"], [2, None, 1], id="nested-at-the-top"),
        pytest.param(["0.0.0.0/0", "255.255.255.255/32", "0.0.0.0/32"], [None, 0, 0], id="ipv4-edges"),
        pytest.param(["::/0", "::/127", "::/128", "::1/128"], [None, 0, 1, 1], id="ipv6-edges"),
        pytest.param(
            ["10.0.1.0/24", "10.0.0.0/16", "10.0.0.0/24", "10.1.0.0/16"], [1, None, 1, None], id="unsorted"
        ),
    ],
)
def test_direct_parents_edges(prefixes: list[str], expected: list[int | None]) -> None:
    assert direct_parents([_span(text) for text in prefixes]) == expected


# --- measure_prefixes ------------------------------------------------------------------------


@PROPERTY
@given(measure_cases())
def test_measure_prefixes_matches_brute_force_over_the_space(case: MeasureCase) -> None:
    measured = measure_prefixes(case.prefixes, addresses=case.addresses, ranges=case.ranges)

    assert measured == _brute_usage(case)


@PROPERTY
@given(measure_cases())
def test_measure_prefixes_ignores_the_order_of_addresses_and_ranges(case: MeasureCase) -> None:
    ordered = measure_prefixes(case.prefixes, addresses=case.addresses, ranges=case.ranges)

    reversed_ = measure_prefixes(case.prefixes, addresses=case.addresses[::-1], ranges=case.ranges[::-1])

    assert reversed_ == ordered


def test_measure_prefixes_of_no_prefixes_is_empty() -> None:
    assert measure_prefixes([], addresses=[1, 2], ranges=[IPRange(4, 5, 9)]) == []


def test_measure_prefixes_counts_an_address_inside_a_range_once() -> None:
    shape = PrefixShape(_span("10.0.0.0/24"), 254)

    addresses = [_value(text) for text in ("10.0.0.5", "10.0.0.15", "10.0.0.200")]

    [usage] = measure_prefixes([shape], addresses=addresses, ranges=[_span("10.0.0.10-10.0.0.19")])

    assert (usage.used, usage.used_percent) == (12, 100.0 * 12 / 254)


def test_measure_prefixes_covered_counts_direct_children_only() -> None:
    shapes = [
        PrefixShape(_span(text), 0) for text in ("10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/24", "10.0.16.0/24")
    ]

    measured = measure_prefixes(shapes, addresses=[], ranges=[])

    assert [usage.covered for usage in measured] == [4096 + 256, 256, 0, 0]


@pytest.mark.parametrize(
    ("prefix", "unit_prefixlen", "addresses", "ranges", "units"),
    [
        pytest.param(
            "2001:db8::/48",
            64,
            ["2001:db8:0:1::5", "2001:db8:0:1::6", "2001:db8:0:2::1"],
            ["2001:db8:0:3::-2001:db8:0:4::ffff"],
            (65536, 4),
            id="ipv6-slash-48-units-touched",
        ),
        pytest.param("2001:db8::/48", 64, [], [], (65536, 0), id="ipv6-slash-48-untouched"),
        pytest.param(
            "2001:db8::/48",
            64,
            ["2001:db8::", "2001:db8:0:ffff:ffff:ffff:ffff:ffff"],
            [],
            (65536, 2),
            id="ipv6-first-and-last-unit",
        ),
        pytest.param("2001:db8::/64", 64, ["2001:db8::1"], [], (1, 1), id="ipv6-prefix-is-one-unit"),
        pytest.param(
            "2001:db8::/120", 64, ["2001:db8::1"], [], (1, 1), id="ipv6-prefix-smaller-than-unit-used"
        ),
        pytest.param("2001:db8::/120", 64, [], [], (1, 0), id="ipv6-prefix-smaller-than-unit-empty"),
        pytest.param("::/0", 1, ["::1", "8000::1"], [], (2, 2), id="ipv6-whole-space-halves"),
        pytest.param("10.0.0.0/16", 24, ["10.0.3.1"], ["10.0.7.0-10.0.8.255"], (256, 3), id="ipv4-units"),
    ],
)
def test_measure_prefixes_counts_units_touched(
    prefix: str, unit_prefixlen: int, addresses: list[str], ranges: list[str], units: tuple[int, int]
) -> None:
    shape = PrefixShape(_span(prefix), 0, unit_prefixlen)

    [usage] = measure_prefixes(
        [shape], addresses=[_value(text) for text in addresses], ranges=[_span(text) for text in ranges]
    )

    assert (usage.units_total, usage.units_used) == units


def test_measure_prefixes_units_ignore_neighbours_of_the_prefix() -> None:
    shapes = [
        PrefixShape(_span("2001:db8:0:10::/60"), 0, 64),
        PrefixShape(_span("2001:db8:0:20::/60"), 0, 64),
    ]
    addresses = [
        _value(text)
        for text in ("2001:db8:0:f::1", "2001:db8:0:10::1", "2001:db8:0:1f::1", "2001:db8:0:20::1")
    ]

    measured = measure_prefixes(shapes, addresses=addresses, ranges=[])

    assert [(usage.units_total, usage.units_used) for usage in measured] == [(16, 2), (16, 1)]


def test_measure_prefixes_without_a_unit_reports_no_units() -> None:
    [usage] = measure_prefixes(
        [PrefixShape(_span("2001:db8::/64"), 0)], addresses=[_value("2001:db8::1")], ranges=[]
    )

    assert (usage.units_total, usage.units_used, usage.units_percent) == (0, 0, 0.0)
