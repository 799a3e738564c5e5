"""A from-scratch recount of utilization and free space, to compare with what the service stored.

The recount uses plain Python sets of address integers (so keep the prefixes small) and
``ipaddress`` for the CIDR cover, and cross-checks the core's ``measure_prefixes`` on the way.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from ipledger.core.addresses import max_prefixlen
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds, level_of
from ipledger.core.utilization import PrefixShape, Usage, measure_prefixes, percent_of
from ipledger.service.ledger import Ledger
from ipledger.store.models import Address, Change, FreeBlock, Prefix, Range

__all__ = ["Item", "Stored", "check_against_recount", "load_state"]

Key = tuple[str, int]
Block = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    space_id: int
    family: int
    first: int
    last: int
    prefixlen: int = 0
    is_pool: bool = False
    unit_prefixlen: int | None = None
    thresholds: Thresholds = DEFAULT_THRESHOLDS

    @property
    def members(self) -> set[int]:
        return set(range(self.first, self.last + 1))

    def holds(self, other: Item) -> bool:
        return (self.space_id, self.family) == (other.space_id, other.family) and (
            self.first <= other.first and other.last <= self.last
        )


@dataclass(frozen=True, slots=True)
class Stored:
    prefixes: list[Item]
    ranges: list[Item]
    addresses: list[Item]
    usages: dict[int, tuple[Usage, float, str]]
    range_used: dict[int, int]
    blocks: dict[Key, set[Block]]
    changes: int


def load_state(ledger: Ledger) -> Stored:
    with ledger.reading() as session:
        prefixes = list(session.scalars(select(Prefix)))
        ranges = list(session.scalars(select(Range)))
        addresses = list(session.scalars(select(Address)))
        blocks: dict[Key, set[Block]] = defaultdict(set)
        for block in session.scalars(select(FreeBlock)):
            blocks[(block.owner_kind, block.owner_id)].add((block.first, block.last, block.prefixlen))
        changes = session.scalar(select(func.count()).select_from(Change)) or 0
    return Stored(
        prefixes=[
            Item(
                row.id,
                row.space_id,
                row.family,
                row.first,
                row.last,
                row.prefixlen,
                row.is_pool,
                row.unit_prefixlen,
                Thresholds(row.warning, row.critical, row.emergency),
            )
            for row in prefixes
        ],
        ranges=[Item(row.id, row.space_id, row.family, row.first, row.last) for row in ranges],
        addresses=[Item(row.id, row.space_id, row.family, row.value, row.value) for row in addresses],
        usages={
            row.id: (
                Usage(row.size, row.usable, row.used, row.covered, row.units_total, row.units_used),
                row.utilization_percent,
                row.level,
            )
            for row in prefixes
        },
        range_used={row.id: row.used for row in ranges},
        blocks=dict(blocks),
        changes=changes,
    )


def _cover(free: set[int], version: int) -> set[Block]:
    """The largest CIDR blocks covering ``free``, by ``ipaddress`` (independent of the core)."""
    cover: set[Block] = set()
    ordered = sorted(free)
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        kind = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        for block in ipaddress.summarize_address_range(kind(ordered[start]), kind(ordered[end])):  # type: ignore[arg-type]
            cover.add((int(block.network_address), int(block.broadcast_address), block.prefixlen))
        start = end + 1
    return cover


def _usable(prefix: Item) -> int:
    size = prefix.last - prefix.first + 1
    if prefix.is_pool or prefix.prefixlen >= max_prefixlen(prefix.family) - 1:
        return size
    return size - 2 if prefix.family == 4 else size - 1


def _recount_prefix(prefix: Item, state: Stored) -> tuple[Usage, set[Block]]:
    inner = [other for other in state.prefixes if other.id != prefix.id and prefix.holds(other)]
    direct = [child for child in inner if not any(o.id != child.id and o.holds(child) for o in inner)]
    taken: set[int] = set()
    for item in [*state.ranges, *state.addresses]:
        if prefix.holds(item):
            taken |= item.members
    children: set[int] = set()
    for child in direct:
        children |= child.members
    units_total = units_used = 0
    if prefix.unit_prefixlen is not None:
        if prefix.prefixlen > prefix.unit_prefixlen:
            units_total, units_used = 1, int(bool(taken))
        else:
            shift = max_prefixlen(prefix.family) - prefix.unit_prefixlen
            units_total = 1 << (prefix.unit_prefixlen - prefix.prefixlen)
            units_used = len({value >> shift for value in taken})
    usage = Usage(len(prefix.members), _usable(prefix), len(taken), len(children), units_total, units_used)
    return usage, _cover(prefix.members - children - taken, prefix.family)


def _recount_range(item: Item, state: Stored) -> tuple[int, set[Block]]:
    held: set[int] = set()
    for address in state.addresses:
        if item.holds(address):
            held |= address.members
    return len(held), _cover(item.members - held, item.family)


def _measured_by_core(state: Stored) -> dict[int, Usage]:
    measured: dict[int, Usage] = {}
    groups = {(item.space_id, item.family) for item in state.prefixes}
    for space_id, family in groups:
        prefixes = [p for p in state.prefixes if (p.space_id, p.family) == (space_id, family)]
        usages = measure_prefixes(
            [PrefixShape(IPRange(family, p.first, p.last), _usable(p), p.unit_prefixlen) for p in prefixes],
            addresses=[a.first for a in state.addresses if (a.space_id, a.family) == (space_id, family)],
            ranges=[
                IPRange(family, r.first, r.last)
                for r in state.ranges
                if (r.space_id, r.family) == (space_id, family)
            ],
        )
        measured.update({p.id: usage for p, usage in zip(prefixes, usages, strict=True)})
    return measured


def check_against_recount(ledger: Ledger, context: str) -> Stored:
    state = load_state(ledger)
    expected_usage, stored_usage, expected_blocks = {}, {}, {}
    for prefix in state.prefixes:
        usage, blocks = _recount_prefix(prefix, state)
        percent = max(percent_of(usage.used, usage.usable), percent_of(usage.covered, usage.size))
        expected_usage[prefix.id] = (
            usage,
            pytest.approx(percent),
            level_of(percent, prefix.thresholds).value,
        )
        stored_usage[prefix.id] = state.usages[prefix.id]
        if blocks:
            expected_blocks[("prefix", prefix.id)] = blocks
    expected_range_used = {}
    for item in state.ranges:
        expected_range_used[item.id], blocks = _recount_range(item, state)
        if blocks:
            expected_blocks[("range", item.id)] = blocks
    assert stored_usage == expected_usage, context
    assert state.range_used == expected_range_used, context
    assert state.blocks == expected_blocks, context
    assert _measured_by_core(state) == {key: value[0] for key, value in expected_usage.items()}, context
    return state
