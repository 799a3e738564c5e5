"""Bulk loading: many prefixes, ranges and addresses checked together and written in one go.

Row-by-row writes keep free space and counters current step by step, which is right for one
change and far too slow for a hundred thousand. A bulk load instead checks every new object
against the ledger and against each other with the core's layout sweep, inserts the rows in
batches, writes their audit entries, and rebuilds the derived state of the touched spaces from
scratch. Any problem stops the load before anything is written, naming where the object came
from (a row number or a position in the document).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from ipledger.core.addresses import IPAddress, IPNetwork, format_value, max_prefixlen, network_from_ints
from ipledger.core.allocation import usable_range
from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError
from ipledger.core.layout import Conflict, Item, Kind, find_conflicts
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ipledger.core.utilization import PrefixShape
from ipledger.core.vocabulary import HolderKind, Status, parse_choice
from ipledger.service.fields import clean_mac, clean_tags
from ipledger.service.inventory import (
    DerivedState,
    Inventory,
    derive_space,
    load_inventory,
    with_new_objects,
    write_derived,
)
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.prefixes import unit_for
from ipledger.store import catalog, objects
from ipledger.store.bulk_insert import insert_rows
from ipledger.store.models import Address, Prefix, Range

__all__ = [
    "ImportSummary",
    "NewAddress",
    "NewPrefix",
    "NewRange",
    "Progress",
    "create_objects",
    "load_objects",
]

Progress = Callable[[int, int], None]
_New = TypeVar("_New", "NewPrefix", "NewRange", "NewAddress")
_BATCH = 5000
_STATUSES = frozenset(member.value for member in Status)
_HOLDER_KINDS = frozenset(member.value for member in HolderKind)
_MAX_OBJECTS = 10_000


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many objects of each kind were created, and the ids of the new prefixes, ranges and
    addresses in the order they were given."""

    spaces: int = 0
    groups: int = 0
    prefixes: int = 0
    ranges: int = 0
    addresses: int = 0
    prefix_ids: tuple[int, ...] = field(default=(), repr=False)
    range_ids: tuple[int, ...] = field(default=(), repr=False)
    address_ids: tuple[int, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class NewPrefix:
    where: str
    space: str
    network: IPNetwork
    status: str = "active"
    role: str = "general"
    group: str | None = None
    managed_by: str = "manual"
    description: str = ""
    tags: tuple[str, ...] = ()
    is_pool: bool = False
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    unit_prefixlen: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewRange:
    where: str
    space: str
    span: IPRange
    status: str = "active"
    role: str = "general"
    group: str | None = None
    managed_by: str = "manual"
    description: str = ""
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewAddress:
    where: str
    space: str
    address: IPAddress
    status: str = "active"
    holder_kind: str = "other"
    holder_name: str = ""
    dns_name: str = ""
    mac: str = ""
    source: str = "import"
    last_seen: datetime | None = None
    group: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class _Batch:
    prefixes: list[NewPrefix] = field(default_factory=list)
    ranges: list[NewRange] = field(default_factory=list)
    addresses: list[NewAddress] = field(default_factory=list)


def load_objects(
    tx: Transaction,
    *,
    prefixes: Sequence[NewPrefix] = (),
    ranges: Sequence[NewRange] = (),
    addresses: Sequence[NewAddress] = (),
    progress: Progress | None = None,
) -> ImportSummary:
    """Check and insert the objects inside the open transaction ``tx``; all or nothing.

    Spaces, groups and roles they name must already exist (create them first in ``tx``).

    Raises:
        NotFoundError / InvalidInputError: an unknown space, group, role, or an unusable address;
            the message starts with the object's origin.
        ConflictError: an object collides with the ledger or with another new object.
    """
    session = tx.session
    spaces = {name: key for key, name in catalog.space_names_by_id(session).items()}
    groups = catalog.group_paths(session)
    roles = set(catalog.list_role_names(session))
    batches: dict[tuple[str, int], _Batch] = {}
    prefixes = [_validated(_with_unit(prefix)) for prefix in prefixes]
    ranges = [_validated(item) for item in ranges]
    addresses = [_validated(address) for address in addresses]
    for prefix in prefixes:
        _require(prefix.where, spaces, groups, roles, prefix.space, prefix.group, prefix.role)
        tx.authorize("prefix", prefix.group)
        batches.setdefault((prefix.space, prefix.network.version), _Batch()).prefixes.append(prefix)
    for item in ranges:
        _require(item.where, spaces, groups, roles, item.space, item.group, item.role)
        tx.authorize("range", item.group)
        batches.setdefault((item.space, item.span.version), _Batch()).ranges.append(item)
    for address in addresses:
        _require(address.where, spaces, groups, roles, address.space, address.group, None)
        tx.authorize("address", address.group)
        batches.setdefault((address.space, address.address.version), _Batch()).addresses.append(address)
    # Keys are reserved before checking, so the checked layout serves for the derived state too
    # (if the check fails, the transaction rolls back and the keys are simply never used).
    ids: dict[int, int] = {}
    for model, entries in ((Prefix, prefixes), (Range, ranges), (Address, addresses)):
        ids.update(zip(map(id, entries), objects.reserve_ids(session, model, len(entries)), strict=True))
    inventories = {key: _checked(tx, spaces[key[0]], key[1], batch, ids) for key, batch in batches.items()}
    total = len(prefixes) + len(ranges) + len(addresses)
    done = 0
    for rows, model, kind in (
        ([_prefix_row(tx, item, ids[id(item)], spaces, groups) for item in prefixes], Prefix, "prefix"),
        ([_range_row(tx, item, ids[id(item)], spaces, groups) for item in ranges], Range, "range"),
        ([_address_row(tx, item, ids[id(item)], spaces, groups) for item in addresses], Address, "address"),
    ):
        for start in range(0, len(rows), _BATCH):
            chunk = rows[start : start + _BATCH]
            insert_rows(session, model, [row for row, _ in chunk])
            tx.record_imported([_change(tx, kind, label, row) for row, label in chunk])
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    for (space, version), batch in batches.items():
        inventory = inventories[(space, version)]
        state = derive_space(inventory)
        _refuse_unusable_addresses(tx, spaces[space], inventory, state, batch, ids)
        added = len(batch.prefixes) + len(batch.ranges) + len(batch.addresses)
        # with_new_objects appended the batch's items after the stored ones.
        write_derived(session, inventory, state, changed=inventory.items[len(inventory.items) - added :])
    return ImportSummary(
        prefixes=len(prefixes),
        ranges=len(ranges),
        addresses=len(addresses),
        prefix_ids=tuple(ids[id(item)] for item in prefixes),
        range_ids=tuple(ids[id(item)] for item in ranges),
        address_ids=tuple(ids[id(item)] for item in addresses),
    )


def create_objects(
    ledger: Ledger,
    *,
    actor: Actor,
    prefixes: Sequence[NewPrefix] = (),
    ranges: Sequence[NewRange] = (),
    addresses: Sequence[NewAddress] = (),
) -> ImportSummary:
    """Create many objects in one transaction, all or nothing (the bulk path of the API)."""
    total = len(prefixes) + len(ranges) + len(addresses)
    if not 1 <= total <= _MAX_OBJECTS:
        raise InvalidInputError(f"a bulk request takes 1 to {_MAX_OBJECTS} objects, not {total}")
    with ledger.transaction(actor) as tx:
        return load_objects(tx, prefixes=prefixes, ranges=ranges, addresses=addresses)


def _with_unit(prefix: NewPrefix) -> NewPrefix:
    """The prefix with its allocation unit settled (IPv6 default /64, none for IPv4)."""
    try:
        unit = unit_for(prefix.network, prefix.unit_prefixlen)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{prefix.where}: {exc}") from exc
    return prefix if unit == prefix.unit_prefixlen else replace(prefix, unit_prefixlen=unit)


def _require(
    where: str,
    spaces: dict[str, int],
    groups: dict[str, int],
    roles: set[str],
    space: str,
    group: str | None,
    role: str | None,
) -> None:
    if space not in spaces:
        raise NotFoundError(f"{where}: no space named {space!r}")
    if group is not None and group not in groups:
        raise NotFoundError(f"{where}: no group {group!r}")
    if role is not None and role not in roles:
        known = ", ".join(sorted(roles))
        raise InvalidInputError(f"{where}: unknown role {role!r}: expected one of {known}", field="role")


def _validated(item: _New) -> _New:
    """The object with its words checked and cleaned (status, holder kind, MAC, tags, times),
    as a single create checks them; a bad one is refused naming where the object came from.

    Objects parsed from a file are already clean, so the common case changes nothing and costs
    a few set look-ups (imports pass a hundred thousand of them).
    """
    changes: dict[str, Any] = {}
    try:
        if item.status not in _STATUSES:
            changes["status"] = parse_choice(Status, item.status, what="status").value
        if item.tags and list(item.tags) != clean_tags(item.tags):
            changes["tags"] = tuple(clean_tags(item.tags))
        if isinstance(item, NewAddress):
            if item.holder_kind not in _HOLDER_KINDS:
                changes["holder_kind"] = parse_choice(HolderKind, item.holder_kind, what="holder kind").value
            if item.mac and clean_mac(item.mac) != item.mac:
                changes["mac"] = clean_mac(item.mac)
            if item.last_seen is not None and item.last_seen.tzinfo is None:
                raise InvalidInputError(f"last seen {item.last_seen} has no time zone", field="last_seen")
    except InvalidInputError as exc:
        raise InvalidInputError(f"{item.where}: {exc}", field=exc.field) from exc
    return replace(item, **changes) if changes else item


def _checked(tx: Transaction, space_id: int, version: int, batch: _Batch, ids: dict[int, int]) -> Inventory:
    """The space's inventory with the batch's objects added under their reserved keys.

    Raises:
        ConflictError: a new object collides with a stored one or with another new one; the
            message starts with where the new object came from.
    """
    existing = load_inventory(tx.session, space_id, version)
    items: list[Item] = []
    shapes: dict[int, PrefixShape] = {}
    thresholds: dict[int, Thresholds] = {}
    origins: dict[tuple[Kind, int], str] = {}
    for prefix in batch.prefixes:
        key = ids[id(prefix)]
        span = IPRange.from_network(prefix.network)
        usable = usable_range(span, prefixlen=prefix.network.prefixlen, is_pool=prefix.is_pool)
        shapes[key] = PrefixShape(span, 0 if usable is None else usable.num_addresses, prefix.unit_prefixlen)
        thresholds[key] = prefix.thresholds
        items.append(Item(Kind.PREFIX, key, span))
        origins[(Kind.PREFIX, key)] = prefix.where
    for item in batch.ranges:
        items.append(Item(Kind.RANGE, ids[id(item)], item.span))
        origins[(Kind.RANGE, ids[id(item)])] = item.where
    for address in batch.addresses:
        value = int(address.address)
        items.append(Item(Kind.ADDRESS, ids[id(address)], IPRange.checked_elsewhere(version, value, value)))
        origins[(Kind.ADDRESS, ids[id(address)])] = address.where
    inventory = with_new_objects(existing, items, shapes, thresholds)
    for conflict in find_conflicts(inventory.items):
        second = conflict.second
        first_origin = origins.get((conflict.first.kind, conflict.first.key))
        second_origin = None if second is None else origins.get((second.kind, second.key))
        if first_origin is None and second_origin is None:
            continue
        if first_origin is None and second is not None:
            # Name the new object first, whichever of the two sorts first.
            conflict = Conflict(second, conflict.first, conflict.reason)
            first_origin, second_origin = second_origin, None
        stored_other = conflict.second is not None and second_origin is None
        suffix = " (already in the ledger)" if stored_other else ""
        if conflict.second is None:
            # Not a collision but a misplaced object: the same answer a single create gives.
            raise InvalidInputError(f"{first_origin}: {conflict.describe()}; record its prefix first")
        raise ConflictError(f"{first_origin}: {conflict.describe()}{suffix}")
    return inventory


def _refuse_unusable_addresses(
    tx: Transaction,
    space_id: int,
    inventory: Inventory,
    state: DerivedState,
    batch: _Batch,
    ids: dict[int, int],
) -> None:
    """An address may not be the network or broadcast address of the prefix holding it, unless
    that prefix is a pool (the transaction is rolled back, so nothing stays written)."""
    version = inventory.version
    pools = objects.list_pool_prefix_ids(tx.session, space_id, version)
    pools |= {ids[id(prefix)] for prefix in batch.prefixes if prefix.is_pool}
    usable_of: dict[int, IPRange | None] = {}
    for address in batch.addresses:
        owner = state.layout.owners.get((Kind.ADDRESS, ids[id(address)]))
        if owner is not None and owner.kind is Kind.RANGE:
            # A range does not make its prefix's network or broadcast address usable.
            owner = state.layout.owners.get((owner.kind, owner.key))
        if owner is None or owner.kind is not Kind.PREFIX or owner.key in pools:
            continue
        prefixlen = max_prefixlen(version) - owner.span.num_addresses.bit_length() + 1
        if owner.key not in usable_of:
            usable_of[owner.key] = usable_range(owner.span, prefixlen=prefixlen)
        usable = usable_of[owner.key]
        if usable is None or not usable.contains_value(int(address.address)):
            network = network_from_ints(owner.span.first, prefixlen, version=version)
            raise InvalidInputError(
                f"{address.where}: {address.address} is the network or broadcast (IPv6: subnet-router anycast) "
                f"address of {network}; mark the prefix as a pool if every address is usable"
            )


def _stamps(tx: Transaction, created: datetime | None, updated: datetime | None) -> dict[str, datetime]:
    created_at = created or tx.now
    return {"created_at": created_at, "updated_at": updated or created_at}


def _prefix_row(
    tx: Transaction, item: NewPrefix, key: int, spaces: dict[str, int], groups: dict[str, int]
) -> tuple[dict[str, Any], str]:
    span = IPRange.from_network(item.network)
    row = {
        "id": key,
        "space_id": spaces[item.space],
        "family": span.version,
        "first": span.first,
        "last": span.last,
        "prefixlen": item.network.prefixlen,
        "status": item.status,
        "role": item.role,
        "group_id": None if item.group is None else groups[item.group],
        "managed_by": item.managed_by,
        "description": item.description,
        "tags": list(item.tags),
        "is_pool": item.is_pool,
        "warning": item.thresholds.warning,
        "critical": item.thresholds.critical,
        "emergency": item.thresholds.emergency,
        "unit_prefixlen": item.unit_prefixlen,
        "size": span.num_addresses,
        "usable": 0,
        "used": 0,
        "covered": 0,
        "units_total": 0,
        "units_used": 0,
        "utilization_percent": 0.0,
        "level": "ok",
        "version": 1,
        **_stamps(tx, item.created_at, item.updated_at),
    }
    return row, f"{item.network} ({item.space})"


def _range_row(
    tx: Transaction, item: NewRange, key: int, spaces: dict[str, int], groups: dict[str, int]
) -> tuple[dict[str, Any], str]:
    row = {
        "id": key,
        "space_id": spaces[item.space],
        "family": item.span.version,
        "first": item.span.first,
        "last": item.span.last,
        "status": item.status,
        "role": item.role,
        "group_id": None if item.group is None else groups[item.group],
        "managed_by": item.managed_by,
        "description": item.description,
        "tags": list(item.tags),
        "size": item.span.num_addresses,
        "used": 0,
        "version": 1,
        **_stamps(tx, item.created_at, item.updated_at),
    }
    return row, f"{item.span} ({item.space})"


def _address_row(
    tx: Transaction, item: NewAddress, key: int, spaces: dict[str, int], groups: dict[str, int]
) -> tuple[dict[str, Any], str]:
    row = {
        "id": key,
        "space_id": spaces[item.space],
        "family": item.address.version,
        "value": int(item.address),
        "status": item.status,
        "holder_kind": item.holder_kind,
        "holder_name": item.holder_name,
        "dns_name": item.dns_name,
        "mac": item.mac,
        "source": item.source,
        "last_seen": item.last_seen,
        "group_id": None if item.group is None else groups[item.group],
        "description": item.description,
        "tags": list(item.tags),
        "version": 1,
        **_stamps(tx, item.created_at, item.updated_at),
    }
    return row, f"{format_value(int(item.address), version=item.address.version)} ({item.space})"


_HIDDEN = {"id", "space_id", "group_id", "first", "last", "value", "family", "created_at", "updated_at"}
_EMPTY: tuple[Any, ...] = (None, "", [])
_COUNTERS = {"size", "usable", "used", "covered", "units_total", "units_used", "utilization_percent", "level"}


def _change(tx: Transaction, kind: str, label: str, row: dict[str, Any]) -> dict[str, Any]:
    """The audit entry of one imported object; ``after`` lists the fields given a value."""
    after = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
        if key not in _HIDDEN and key not in _COUNTERS and value not in _EMPTY
    }
    after[kind] = label.rsplit(" (", 1)[0]
    return {
        "at": tx.now,
        "actor": tx.actor,
        "action": "import",
        "object_kind": kind,
        "object_id": row["id"],
        "object_label": label,
        "before": None,
        "after": after,
        "dispatched": False,
    }
