"""Keeping free space and utilization current as objects enter and leave the ledger.

Free space: each prefix and range owns the canonical CIDR cover of what its direct occupants
(child prefixes, ranges, addresses) leave free. When an object takes a span inside its owner,
the owner's free blocks inside the span become the new object's free space, since whatever
occupied the rest now sits inside the new object. When it leaves, its free space returns to the
owner and is merged with the owner's blocks on either side.

Utilization: counters on each prefix and range change by the exact amount a write moves them,
so no write rescans a large prefix.
"""

from __future__ import annotations

from ipledger.core.addresses import IPNetwork, network_from_ints
from ipledger.core.allocation import usable_span
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Thresholds, level_of
from ipledger.core.utilization import PrefixShape, Usage, direct_parents, measure_prefixes
from ipledger.store import free_space, queries, watch
from ipledger.store.database import Session
from ipledger.store.free_space import Owner
from ipledger.store.models import Prefix, Range

__all__ = [
    "add_used",
    "count_fresh_units",
    "direct_parents",
    "is_smaller_than_unit",
    "measure_one",
    "network_of",
    "prefix_shape",
    "refresh_level",
    "release_span",
    "span_of_prefix",
    "span_of_range",
    "store_usage",
    "take_span",
    "usage_of",
]


def span_of_prefix(prefix: Prefix) -> IPRange:
    return IPRange(prefix.family, prefix.first, prefix.last)


def span_of_range(item: Range) -> IPRange:
    return IPRange(item.family, item.first, item.last)


def network_of(prefix: Prefix) -> IPNetwork:
    return network_from_ints(prefix.first, prefix.prefixlen, version=prefix.family)


def prefix_shape(prefix: Prefix) -> PrefixShape:
    usable = usable_span(network_of(prefix), is_pool=prefix.is_pool)
    return PrefixShape(
        span_of_prefix(prefix), 0 if usable is None else usable.num_addresses, prefix.unit_prefixlen
    )


def take_span(
    session: Session,
    owner: Owner | None,
    span: IPRange,
    new_owner: Owner | None,
    *,
    space_id: int,
    free_block: IPRange | None = None,
) -> None:
    """``new_owner`` (a prefix or range, or None for an address) now occupies ``span`` in ``owner``.

    ``free_block``: the owner's one free block holding all of ``span``, when the caller already
    read it (allocation does), which saves looking it up again.
    """
    if owner is None:
        if new_owner is not None:
            free_space.insert_blocks(session, new_owner, _free_at_top(session, space_id, new_owner, span))
        return
    if free_block is not None and free_block.contains(span):
        blocks = [free_block]
    else:
        blocks = free_space.list_blocks_overlapping(session, owner, span)
    window = IPSet.of(span.version, blocks)
    inside = IPSet.of(span.version, [span])
    free_space.delete_blocks(session, owner, [block.first for block in blocks])
    free_space.insert_blocks(session, owner, window.difference(inside))
    if new_owner is not None:
        free_space.insert_blocks(session, new_owner, window.intersection(inside))


def release_span(session: Session, owner: Owner | None, span: IPRange, old_owner: Owner | None) -> None:
    """``old_owner`` (or an address, when None) leaves ``span``; its free space returns to ``owner``."""
    if old_owner is None:
        freed = IPSet.of(span.version, [span])
    else:
        freed = free_space.list_blocks(session, old_owner, version=span.version)
        free_space.delete_blocks(session, old_owner)
    if owner is None:
        return
    before = free_space.list_run_before(session, owner, version=span.version, end=span.first)
    after = free_space.list_run_after(session, owner, version=span.version, start=span.last)
    free_space.delete_blocks(session, owner, [block.first for block in [*before, *after]])
    free_space.insert_blocks(session, owner, freed.union(IPSet.of(span.version, [*before, *after])))


def _free_at_top(session: Session, space_id: int, new_owner: Owner, span: IPRange) -> IPSet:
    """Free space of a new outermost prefix: its span less the outermost things already inside."""
    inner = [
        span_of_prefix(item)
        for item in queries.list_prefixes_within(session, space_id, span)
        if item.id != new_owner[1]
    ]
    taken = IPSet.of(span.version, inner)
    loose = [
        IPRange(span.version, item.value, item.value)
        for item in queries.list_addresses_within(session, space_id, span)
        if not taken.contains_value(item.value)
    ]
    return IPSet.of(span.version, [span]).difference(taken.union(IPSet.of(span.version, loose)))


def usage_of(prefix: Prefix) -> Usage:
    return Usage(
        prefix.size, prefix.usable, prefix.used, prefix.covered, prefix.units_total, prefix.units_used
    )


def refresh_level(prefix: Prefix) -> None:
    """Recompute the stored headline percentage and level from the stored counters, and have the
    transaction sample the prefix before it commits (``service.watch``)."""
    percent = usage_of(prefix).percent
    watch.note_occupancy_changed(prefix)
    prefix.utilization_percent = percent
    prefix.level = level_of(percent, Thresholds(prefix.warning, prefix.critical, prefix.emergency)).value


def store_usage(prefix: Prefix, usage: Usage) -> None:
    prefix.size, prefix.usable = usage.size, usage.usable
    prefix.used, prefix.covered = usage.used, usage.covered
    prefix.units_total, prefix.units_used = usage.units_total, usage.units_used
    refresh_level(prefix)


def measure_one(session: Session, prefix: Prefix) -> Usage:
    """Measure a prefix from what lies inside it (used when it is created or checked)."""
    span = span_of_prefix(prefix)
    inside = [item for item in queries.list_prefixes_within(session, prefix.space_id, span)]
    addresses = [item.value for item in queries.list_addresses_within(session, prefix.space_id, span)]
    ranges = [span_of_range(item) for item in queries.list_ranges_within(session, prefix.space_id, span)]
    shapes = [prefix_shape(item) if item.id != prefix.id else prefix_shape(prefix) for item in inside]
    if all(item.id != prefix.id for item in inside):
        inside.append(prefix)
        shapes.append(prefix_shape(prefix))
    usages = measure_prefixes(shapes, addresses=addresses, ranges=ranges)
    return usages[[item.id for item in inside].index(prefix.id)]


def add_used(chain: list[Prefix], delta: int) -> None:
    for prefix in chain:
        prefix.used += delta
        refresh_level(prefix)


def count_fresh_units(
    session: Session,
    prefix: Prefix,
    span: IPRange,
    *,
    address_id: int | None = None,
    range_id: int | None = None,
) -> int:
    """How many allocation units ``span`` touches in ``prefix`` that nothing else there touches.

    ``address_id`` / ``range_id`` name the object that ``span`` belongs to, so it is not counted
    as "something else" whether or not it is already stored.
    """
    assert prefix.unit_prefixlen is not None
    shift = 128 - prefix.unit_prefixlen
    first_unit, last_unit = span.first >> shift, span.last >> shift
    region = IPRange(
        6, max(first_unit << shift, prefix.first), min(((last_unit + 1) << shift) - 1, prefix.last)
    )
    others = [
        IPRange(6, item.value >> shift, item.value >> shift)
        for item in queries.list_addresses_within(session, prefix.space_id, region)
        if item.id != address_id
    ]
    others += [
        IPRange(6, item.first >> shift, item.last >> shift)
        for item in queries.list_ranges_overlapping(session, prefix.space_id, region)
        if item.id != range_id
    ]
    mine = IPSet.of(6, [IPRange(6, first_unit, last_unit)])
    return mine.difference(IPSet.of(6, others)).num_addresses


def is_smaller_than_unit(prefix: Prefix) -> bool:
    return prefix.unit_prefixlen is not None and prefix.prefixlen > prefix.unit_prefixlen
