"""Loading a whole space as core values, and rebuilding its derived state from scratch.

The write path keeps free blocks and utilization current step by step; bulk imports instead
insert rows directly and then call :func:`rebuild_space`, and checks compare the stored state
with what :func:`derive_space` computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ipledger.core.allocation import usable_range
from ipledger.core.layout import Item, Kind, Layout, lay_out
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Thresholds, level_of
from ipledger.core.utilization import PrefixShape, Usage, measure_prefixes
from ipledger.store import free_space, objects
from ipledger.store.database import Session

__all__ = [
    "DerivedState",
    "Inventory",
    "derive_space",
    "load_inventory",
    "rebuild_space",
    "with_new_objects",
    "write_derived",
]


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything of one space and family, as layout items plus what measuring needs."""

    version: int
    items: tuple[Item, ...]
    shapes: dict[int, PrefixShape]
    thresholds: dict[int, Thresholds]
    range_sizes: dict[int, int]


@dataclass(frozen=True, slots=True)
class DerivedState:
    layout: Layout
    usages: dict[int, Usage]
    range_used: dict[int, int]


def load_inventory(session: Session, space_id: int, version: int) -> Inventory:
    items: list[Item] = []
    shapes: dict[int, PrefixShape] = {}
    thresholds: dict[int, Thresholds] = {}
    for row in objects.load_prefix_rows(session, space_id, version):
        span = IPRange.checked_elsewhere(version, row.first, row.last)
        usable = usable_range(span, prefixlen=row.prefixlen, is_pool=row.is_pool)
        shapes[row.id] = PrefixShape(span, 0 if usable is None else usable.num_addresses, row.unit_prefixlen)
        thresholds[row.id] = Thresholds(row.warning, row.critical, row.emergency)
        items.append(Item(Kind.PREFIX, row.id, span))
    range_sizes = {}
    for range_row in objects.load_range_rows(session, space_id, version):
        span = IPRange.checked_elsewhere(version, range_row.first, range_row.last)
        range_sizes[range_row.id] = span.num_addresses
        items.append(Item(Kind.RANGE, range_row.id, span))
    trusted = IPRange.checked_elsewhere
    items.extend(
        Item(Kind.ADDRESS, key, trusted(version, value, value))
        for key, value in objects.load_address_rows(session, space_id, version)
    )
    return Inventory(version, tuple(items), shapes, thresholds, range_sizes)


def derive_space(inventory: Inventory) -> DerivedState:
    """Free space, owners and utilization as they follow from the objects alone."""
    layout = lay_out(inventory.items)
    ids = list(inventory.shapes)
    addresses = [item.span.first for item in inventory.items if item.kind is Kind.ADDRESS]
    ranges = [item.span for item in inventory.items if item.kind is Kind.RANGE]
    usages = measure_prefixes([inventory.shapes[key] for key in ids], addresses=addresses, ranges=ranges)
    range_used = dict.fromkeys(inventory.range_sizes, 0)
    for item in inventory.items:
        owner = layout.owners.get((item.kind, item.key))
        if item.kind is Kind.ADDRESS and owner is not None and owner.kind is Kind.RANGE:
            range_used[owner.key] += 1
    return DerivedState(layout, dict(zip(ids, usages, strict=True)), range_used)


def rebuild_space(session: Session, space_id: int, version: int) -> None:
    """Recompute and store free blocks and utilization of every prefix and range of a space."""
    write_derived(session, load_inventory(session, space_id, version))


def with_new_objects(
    inventory: Inventory,
    items: Sequence[Item],
    shapes: dict[int, PrefixShape],
    thresholds: dict[int, Thresholds],
) -> Inventory:
    """The inventory with objects added that are not stored yet (their keys already reserved)."""
    range_sizes = dict(inventory.range_sizes)
    range_sizes.update((item.key, item.span.num_addresses) for item in items if item.kind is Kind.RANGE)
    return Inventory(
        inventory.version,
        (*inventory.items, *items),
        {**inventory.shapes, **shapes},
        {**inventory.thresholds, **thresholds},
        range_sizes,
    )


def write_derived(
    session: Session,
    inventory: Inventory,
    state: DerivedState | None = None,
    *,
    changed: Sequence[Item] | None = None,
) -> None:
    """Store the free blocks and counters that follow from ``inventory`` (its ``state``, when
    already derived), replacing the old ones.

    With ``changed`` (the objects just added), only what they can affect is rewritten: their
    own free space and counters, the free space of their direct owners and the counters of
    every prefix around them. The rest of the space is left as stored.
    """
    state = derive_space(inventory) if state is None else state
    if changed is None:
        owners = list(state.layout.free)
        counted_prefixes = set(state.usages)
        counted_ranges = set(state.range_used)
    else:
        owners, counted_prefixes, counted_ranges = _affected(state, changed)
    for kind in (Kind.PREFIX, Kind.RANGE):
        objects.delete_free_blocks_of(
            session, kind.value, [key for owner_kind, key in owners if owner_kind is kind]
        )
    free_space.insert_many(
        session, {(kind.value, key): state.layout.free[(kind, key)] for kind, key in owners}
    )
    rows = []
    for key in counted_prefixes:
        usage = state.usages[key]
        level = level_of(usage.percent, inventory.thresholds[key])
        rows.append(
            {
                "id": key,
                "size": usage.size,
                "usable": usage.usable,
                "used": usage.used,
                "covered": usage.covered,
                "units_total": usage.units_total,
                "units_used": usage.units_used,
                "utilization_percent": usage.percent,
                "level": level.value,
            }
        )
    objects.update_prefix_counters(session, rows)
    objects.update_range_counters(
        session, [{"id": key, "used": state.range_used[key]} for key in counted_ranges]
    )


def _affected(
    state: DerivedState, changed: Sequence[Item]
) -> tuple[list[tuple[Kind, int]], set[int], set[int]]:
    """Owners whose free space, and prefixes and ranges whose counters, ``changed`` can move."""
    owners: set[tuple[Kind, int]] = set()
    prefixes: set[int] = set()
    ranges: set[int] = set()
    for item in changed:
        if item.kind is not Kind.ADDRESS:
            owners.add((item.kind, item.key))
            (prefixes if item.kind is Kind.PREFIX else ranges).add(item.key)
        owner = state.layout.owners.get((item.kind, item.key))
        if owner is not None:
            owners.add((owner.kind, owner.key))
        while owner is not None:
            if owner.kind is Kind.PREFIX:
                if owner.key in prefixes and owner is not item:
                    break
                prefixes.add(owner.key)
            else:
                ranges.add(owner.key)
            owner = state.layout.owners.get((owner.kind, owner.key))
    return sorted(owners), prefixes, ranges
