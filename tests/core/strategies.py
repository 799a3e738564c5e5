"""Hypothesis strategies for the core tests: addresses, prefixes and spans of both families.

Most properties run inside small spaces (an IPv4 /24 or an IPv6 /120, at the bottom, the middle
and the top of each family) so that drawn values collide, nest and touch often, and so that a
brute-force oracle over every address of the space stays cheap. Values in small spaces are drawn
as offsets from a few fixed strategies rather than from strategies built per example, which keeps
generation fast enough for the whole suite to run in seconds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import NamedTuple

from hypothesis import settings
from hypothesis import strategies as st

from ipledger.core.addresses import IPNetwork
from ipledger.core.layout import Item, Kind
from ipledger.core.ranges import IPRange
from ipledger.core.utilization import PrefixShape

__all__ = [
    "PROPERTY",
    "SMALL_SPACES",
    "AllocationCase",
    "MeasureCase",
    "allocation_cases",
    "layout_items",
    "measure_cases",
    "members",
    "networks",
    "small_network_lists",
    "small_networks",
    "small_span_lists",
    "small_span_tuples",
    "small_spans_and_value",
    "spans",
    "whole_space",
]

# No deadline: core functions are fast, and a deadline only makes loaded CI machines flaky.
# 50 examples a property keep the suite at a few seconds; raise it locally when changing the core.
PROPERTY = settings(deadline=None, max_examples=50)

SMALL_SPACES: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("0.0.0.0/24"),
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("255.255.255.0/24"),
    ipaddress.ip_network("::/120"),
    ipaddress.ip_network("2001:db8::/120"),
    ipaddress.ip_network("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"),
)
_SMALL_BITS = 8  # host bits of every small space

_spaces = st.sampled_from(SMALL_SPACES)
_offsets = st.integers(0, (1 << _SMALL_BITS) - 1)
_host_bits = st.integers(0, _SMALL_BITS)
_unit_host_bits = st.sampled_from([None, 6, 4, 2, 0])


def whole_space(version: int) -> IPNetwork:
    return ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")


# --- anywhere in either family ---------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn) -> IPNetwork:
    """A network of either family, of any length, anywhere in its space."""
    within = whole_space(draw(st.sampled_from([4, 6])))
    bits = within.max_prefixlen
    prefixlen = draw(st.integers(0, bits))
    index = draw(st.integers(0, (1 << prefixlen) - 1))
    return ipaddress.ip_network((index << (bits - prefixlen), prefixlen))


@st.composite
def spans(draw: st.DrawFn) -> IPRange:
    """An inclusive span of either family, anywhere in its space."""
    version = draw(st.sampled_from([4, 6]))
    bounds = st.integers(0, (1 << (32 if version == 4 else 128)) - 1)
    first, last = sorted((draw(bounds), draw(bounds)))
    return IPRange(version, first, last)


# --- inside small spaces ---------------------------------------------------------------------


def _draw_network(draw: st.DrawFn, within: IPNetwork) -> IPNetwork:
    """A network inside ``within``, which holds at most 2**8 addresses."""
    room = within.max_prefixlen - within.prefixlen
    # Scaled rather than clipped, so that a child is rarely the whole of a small parent.
    host_bits = draw(_host_bits) * room // _SMALL_BITS
    offset = draw(_offsets) & ((1 << room) - 1)
    first = int(within.network_address) + (offset >> host_bits << host_bits)
    return ipaddress.ip_network((first, within.max_prefixlen - host_bits))


def _draw_span(draw: st.DrawFn, within: IPNetwork) -> IPRange:
    """An inclusive span inside ``within``, which holds at most 2**8 addresses."""
    mask = within.num_addresses - 1
    low, high = sorted((draw(_offsets) & mask, draw(_offsets) & mask))
    base = int(within.network_address)
    return IPRange(within.version, base + low, base + high)


def _draw_value(draw: st.DrawFn, within: IPNetwork) -> int:
    return int(within.network_address) + (draw(_offsets) & (within.num_addresses - 1))


@st.composite
def small_networks(draw: st.DrawFn) -> IPNetwork:
    """A network inside one of the small spaces."""
    return _draw_network(draw, draw(_spaces))


@st.composite
def small_span_tuples(draw: st.DrawFn, count: int) -> tuple[IPRange, ...]:
    """``count`` spans, all inside one small space."""
    space = draw(_spaces)
    return tuple(_draw_span(draw, space) for _ in range(count))


@st.composite
def small_span_lists(draw: st.DrawFn, count: int, *, max_size: int = 6) -> tuple[list[IPRange], ...]:
    """``count`` lists of spans (each list possibly empty), all inside one small space."""
    space = draw(_spaces)
    sizes = st.integers(0, max_size)
    return tuple([_draw_span(draw, space) for _ in range(draw(sizes))] for _ in range(count))


@st.composite
def small_spans_and_value(
    draw: st.DrawFn, *, min_size: int = 0, max_size: int = 6
) -> tuple[list[IPRange], int]:
    """A list of spans and one address, all inside one small space."""
    space = draw(_spaces)
    ranges = [_draw_span(draw, space) for _ in range(draw(st.integers(min_size, max_size)))]
    return ranges, _draw_value(draw, space)


@st.composite
def small_network_lists(draw: st.DrawFn, *, max_size: int = 10) -> list[IPNetwork]:
    """Distinct networks, all inside one small space, in drawn order."""
    space = draw(_spaces)
    drawn = [_draw_network(draw, space) for _ in range(draw(st.integers(0, max_size)))]
    return list(dict.fromkeys(drawn))


class AllocationCase(NamedTuple):
    """A parent prefix, what is already used inside it, and the length asked for."""

    parent: IPNetwork
    used: list[IPRange]
    prefixlen: int


@st.composite
def allocation_cases(draw: st.DrawFn) -> AllocationCase:
    """A parent inside a small space, used child prefixes and ranges in it, and a length to allocate."""
    parent = _draw_network(draw, draw(_spaces))
    used = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            used.append(IPRange.from_network(_draw_network(draw, parent)))
        else:
            used.append(_draw_span(draw, parent))
    host_bits = draw(_host_bits) * (parent.max_prefixlen - parent.prefixlen) // _SMALL_BITS
    return AllocationCase(parent, used, parent.max_prefixlen - host_bits)


class MeasureCase(NamedTuple):
    """Distinct prefixes of one small space with the addresses and ranges held in that space."""

    prefixes: list[PrefixShape]
    addresses: list[int]
    ranges: list[IPRange]


@st.composite
def measure_cases(draw: st.DrawFn) -> MeasureCase:
    """Ranges are disjoint and never straddle a prefix boundary, as the ledger guarantees."""
    space = draw(_spaces)
    bits = space.max_prefixlen
    networks_ = dict.fromkeys(_draw_network(draw, space) for _ in range(draw(st.integers(0, 8))))
    prefixes = []
    for network in networks_:
        unit_host_bits = draw(_unit_host_bits)
        unit_prefixlen = None if unit_host_bits is None else bits - unit_host_bits
        # measure_prefixes passes ``usable`` through untouched, so any count will do.
        prefixes.append(PrefixShape(IPRange.from_network(network), network.num_addresses, unit_prefixlen))
    addresses = sorted({_draw_value(draw, space) for _ in range(draw(st.integers(0, 24)))})
    ranges: list[IPRange] = []
    for _ in range(draw(st.integers(0, 6))):
        candidate = _draw_span(draw, space)
        straddles = any(
            candidate.overlaps(shape.span) and not shape.span.contains(candidate) for shape in prefixes
        )
        if not straddles and not any(candidate.overlaps(kept) for kept in ranges):
            ranges.append(candidate)
    return MeasureCase(prefixes, addresses, ranges)


@st.composite
def layout_items(draw: st.DrawFn, *, conflict_free: bool) -> list[Item]:
    """Prefixes, ranges and addresses of one small space, in drawn order, keys unique per kind.

    With ``conflict_free`` the ledger's rules hold: no CIDR or address twice, ranges disjoint and
    each inside a prefix, and every prefix that meets a range holds all of it. Without it, items
    are drawn freely, so duplicates, overlaps and strays are common.
    """
    space = draw(_spaces)
    prefixes = [IPRange.from_network(_draw_network(draw, space)) for _ in range(draw(st.integers(0, 5)))]
    ranges = [_draw_span(draw, space) for _ in range(draw(st.integers(0, 4)))]
    addresses = [_draw_value(draw, space) for _ in range(draw(st.integers(0, 5)))]
    if conflict_free:
        prefixes = list(dict.fromkeys(prefixes))
        ranges = _admissible_ranges(ranges, prefixes)
        addresses = list(dict.fromkeys(addresses))
    items = [Item(Kind.PREFIX, key, span) for key, span in enumerate(prefixes)]
    items += [Item(Kind.RANGE, key, span) for key, span in enumerate(ranges)]
    items += [
        Item(Kind.ADDRESS, key, IPRange(space.version, value, value)) for key, value in enumerate(addresses)
    ]
    return draw(st.permutations(items))


def _admissible_ranges(candidates: list[IPRange], prefixes: list[IPRange]) -> list[IPRange]:
    kept: list[IPRange] = []
    for candidate in candidates:
        meeting = [prefix for prefix in prefixes if prefix.overlaps(candidate)]
        if (
            meeting
            and all(prefix.contains(candidate) for prefix in meeting)
            and not any(candidate.overlaps(other) for other in kept)
        ):
            kept.append(candidate)
    return kept


def members(ranges: Iterable[IPRange]) -> set[int]:
    """Every address integer of ``ranges``: the plain-set oracle (use only over small spaces)."""
    return {value for item in ranges for value in range(item.first, item.last + 1)}
