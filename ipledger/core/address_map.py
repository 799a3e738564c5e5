"""The address map of a prefix: a grid of at most 256 cells that shows at a glance what is used.

A prefix of up to 256 addresses gets one cell per address, coloured by what holds it. A larger
one is cut into 256 equal sub-blocks, each shaded by how much of it is taken, and marked when a
child prefix or a range covers it. Everything is computed from sets of spans, never by walking
addresses, so the map of a /8 or a /48 costs what the map of a /24 costs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ipledger.core.addresses import IPNetwork
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange

__all__ = ["MAX_CELLS", "Cell", "CellState", "Occupant", "map_prefix"]

MAX_CELLS = 256


class CellState(StrEnum):
    FREE = "free"  # nothing takes any of it
    PARTLY = "partly"  # some of it is taken
    FULL = "full"  # all of it is taken
    HELD = "held"  # one address recorded for a holder (small prefixes)
    CHILD = "child"  # inside a child prefix
    RANGE = "range"  # inside a range
    RESERVED = "reserved"  # an address no host gets (network, broadcast, subnet-router anycast)


@dataclass(frozen=True, slots=True)
class Occupant:
    """A child prefix or a range inside the mapped prefix, or a recorded address's holder."""

    span: IPRange
    label: str
    kind: str = ""  # the holder kind of an address (pod, vm, ...); empty for prefixes and ranges


@dataclass(frozen=True, slots=True)
class Cell:
    """One square of the map: its span, how many of its addresses are taken, and what it shows."""

    span: IPRange
    state: CellState
    taken: int
    label: str  # what a pointer over the cell says
    kind: str = ""  # the holder kind, for HELD cells

    @property
    def size(self) -> int:
        return self.span.num_addresses

    @property
    def percent(self) -> float:
        return 100.0 * self.taken / self.size


def map_prefix(
    network: IPNetwork,
    *,
    free: IPSet,
    children: Sequence[Occupant] = (),
    ranges: Sequence[Occupant] = (),
    addresses: Mapping[int, Occupant] | None = None,
) -> list[Cell]:
    """The cells of ``network``'s map.

    ``free`` is what nothing takes (the prefix's free blocks); ``children`` and ``ranges`` the
    direct child prefixes and the ranges inside; ``addresses`` the recorded addresses by value,
    needed only when each address gets its own cell (256 addresses or fewer). Whatever is
    neither free nor inside a child or range is taken (by an address, or reserved).
    """
    whole = IPRange.from_network(network)
    bits = 32 if whole.version == 4 else 128
    host_bits = bits - network.prefixlen
    cell_bits = max(0, host_bits - 8)
    count = 1 << (host_bits - cell_bits)
    size = 1 << cell_bits
    return [
        _cell(
            IPRange(whole.version, whole.first + index * size, whole.first + (index + 1) * size - 1),
            free,
            children,
            ranges,
            addresses or {},
        )
        for index in range(count)
    ]


def _cell(
    span: IPRange,
    free: IPSet,
    children: Sequence[Occupant],
    ranges: Sequence[Occupant],
    addresses: Mapping[int, Occupant],
) -> Cell:
    here = IPSet.of(span.version, [span])
    free_here = free.intersection(here).num_addresses
    taken = span.num_addresses - free_here
    name = _name(span)
    for kind, occupants in ((CellState.CHILD, children), (CellState.RANGE, ranges)):
        for occupant in occupants:
            if occupant.span.contains(span):
                return Cell(span, kind, taken, f"{name}: in {occupant.label}")
    if span.num_addresses == 1:
        held = addresses.get(span.first)
        if held is not None:
            return Cell(span, CellState.HELD, 1, f"{name}: {held.label}", held.kind)
        if free_here:
            return Cell(span, CellState.FREE, 0, f"{name}: free")
        return Cell(span, CellState.RESERVED, 1, f"{name}: not given to hosts")
    inside = [occupant.label for occupant in (*children, *ranges) if occupant.span.overlaps(span)]
    state = CellState.FREE if taken == 0 else CellState.FULL if free_here == 0 else CellState.PARTLY
    where = f"; holds {', '.join(inside[:3])}{' and more' if len(inside) > 3 else ''}" if inside else ""
    return Cell(span, state, taken, f"{name}: {taken} of {span.num_addresses} taken{where}")


def _name(span: IPRange) -> str:
    if span.num_addresses == 1:
        return str(span.first_address)
    bits = 32 if span.version == 4 else 128
    length = bits - (span.num_addresses.bit_length() - 1)
    network = ipaddress.IPv4Network if span.version == 4 else ipaddress.IPv6Network
    return str(network((span.first, length)))
