"""Hypothesis strategies for the core tests: addresses, prefixes and spans of both families.

Most properties run inside small spaces (an IPv4 /24 or an IPv6 /120, at the bottom, the middle
and the top of each family) so that drawn values collide, nest and touch often, and so that a
brute-force oracle over every address of the space stays cheap.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import NamedTuple

from hypothesis import settings
from hypothesis import strategies as st

from ipledger.core.addresses import IPNetwork
from ipledger.core.ranges import IPRange
from ipledger.core.utilization import PrefixShape

__all__ = [
    "PROPERTY",
    "SMALL_SPACES",
    "AllocationCase",
    "MeasureCase",
    "allocation_cases",
    "measure_cases",
    "members",
    "networks",
    "small_spaces",
    "spans",
    "versions",
    "whole_space",
]

# Core functions are fast; a deadline would only make slow CI machines flaky.
PROPERTY = settings(deadline=None)

SMALL_SPACES: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("0.0.0.0/24"),
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("255.255.255.0/24"),
    ipaddress.ip_network("::/120"),
    ipaddress.ip_network("2001:db8::/120"),
    ipaddress.ip_network("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"),
)


def versions() -> st.SearchStrategy[int]:
    return st.sampled_from([4, 6])


def small_spaces() -> st.SearchStrategy[IPNetwork]:
    return st.sampled_from(SMALL_SPACES)


def whole_space(version: int) -> IPNetwork:
    return ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")


@st.composite
def networks(
    draw: st.DrawFn,
    *,
    within: IPNetwork | None = None,
    min_prefixlen: int | None = None,
) -> IPNetwork:
    """A network inside ``within`` (or anywhere in a drawn family), at least /``min_prefixlen`` long."""
    if within is None:
        within = whole_space(draw(versions()))
    bits = within.max_prefixlen
    lowest = within.prefixlen if min_prefixlen is None else max(within.prefixlen, min_prefixlen)
    prefixlen = draw(st.integers(lowest, bits))
    index = draw(st.integers(0, (1 << (prefixlen - within.prefixlen)) - 1))
    first = int(within.network_address) + (index << (bits - prefixlen))
    return ipaddress.ip_network((first, prefixlen))


@st.composite
def spans(draw: st.DrawFn, *, within: IPNetwork | None = None) -> IPRange:
    """An inclusive span inside ``within`` (or anywhere in a drawn family)."""
    if within is None:
        within = whole_space(draw(versions()))
    bounds = st.integers(int(within.network_address), int(within.broadcast_address))
    first, last = sorted((draw(bounds), draw(bounds)))
    return IPRange(within.version, first, last)


def members(ranges: Iterable[IPRange]) -> set[int]:
    """Every address integer of ``ranges``: the plain-set oracle (use only over small spaces)."""
    return {value for item in ranges for value in range(item.first, item.last + 1)}


class AllocationCase(NamedTuple):
    """A parent prefix, what is already used inside it, and the length asked for."""

    parent: IPNetwork
    used: list[IPRange]
    prefixlen: int


@st.composite
def allocation_cases(draw: st.DrawFn) -> AllocationCase:
    """A parent inside a small space, used child prefixes and ranges in it, and a length to allocate."""
    parent = draw(small_spaces().flatmap(lambda space: networks(within=space)))
    children = st.one_of(networks(within=parent).map(IPRange.from_network), spans(within=parent))
    used = draw(st.lists(children, max_size=6))
    prefixlen = draw(st.integers(parent.prefixlen, parent.max_prefixlen))
    return AllocationCase(parent, used, prefixlen)


class MeasureCase(NamedTuple):
    """Distinct prefixes of one small space with the addresses and ranges held in that space."""

    prefixes: list[PrefixShape]
    addresses: list[int]
    ranges: list[IPRange]


@st.composite
def measure_cases(draw: st.DrawFn) -> MeasureCase:
    """Ranges are disjoint and never straddle a prefix boundary, as the ledger guarantees."""
    space = draw(small_spaces())
    bits = space.max_prefixlen
    units = st.sampled_from([None, bits - 6, bits - 4, bits - 2, bits])
    networks_ = draw(st.lists(networks(within=space), unique=True, max_size=8))
    # measure_prefixes passes ``usable`` through untouched, so any count will do.
    prefixes = [
        PrefixShape(IPRange.from_network(network), network.num_addresses, draw(units)) for network in networks_
    ]
    values = st.integers(int(space.network_address), int(space.broadcast_address))
    addresses = sorted(draw(st.sets(values, max_size=24)))
    ranges: list[IPRange] = []
    for candidate in draw(st.lists(spans(within=space), max_size=6)):
        straddles = any(
            candidate.overlaps(shape.span) and not shape.span.contains(candidate) for shape in prefixes
        )
        if not straddles and not any(candidate.overlaps(kept) for kept in ranges):
            ranges.append(candidate)
    return MeasureCase(prefixes, addresses, ranges)
