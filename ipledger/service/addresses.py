"""Addresses: one IP with what holds it, where it was seen, and how it got into the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.allocation import usable_span
from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.core.ranges import IPRange
from ipledger.core.vocabulary import HolderKind, Status, parse_choice
from ipledger.service import occupancy
from ipledger.service.convert import address_record, names, snapshot
from ipledger.service.fields import clean_mac, clean_tags, refuse_unknown_fields, require_version
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.locking import lock_chain
from ipledger.service.lookup import DEFAULT_SPACE, load_address, load_group, load_space
from ipledger.service.records import AddressRecord
from ipledger.store import listing, queries, watch
from ipledger.store.database import Session
from ipledger.store.models import Address, Prefix, Range, Space

__all__ = [
    "AddressFields",
    "change_address",
    "create_address",
    "delete_address",
    "insert_address",
    "list_addresses",
    "remove_address",
    "show_address",
    "update_address",
]

_FIELDS = {
    "status",
    "holder_kind",
    "holder_name",
    "dns_name",
    "mac",
    "source",
    "last_seen",
    "group",
    "description",
    "tags",
}


@dataclass(frozen=True, slots=True)
class AddressFields:
    """What is recorded about an address besides the address itself."""

    status: str = "active"
    holder_kind: str = "other"
    holder_name: str = ""
    dns_name: str = ""
    mac: str = ""
    source: str = "manual"
    last_seen: datetime | None = None
    group: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()


def create_address(
    ledger: Ledger,
    address: IPAddress,
    *,
    actor: Actor,
    space: str = DEFAULT_SPACE,
    fields: AddressFields = AddressFields(),
) -> AddressRecord:
    """Record one address.

    Raises:
        ConflictError: the address is already recorded in the space (the message names its holder).
        InvalidInputError: it is the network or broadcast address (or IPv6 subnet-router anycast
            address) of the prefix holding it, or a field is invalid.
    """
    with ledger.transaction(actor) as tx:
        row = insert_address(tx, load_space(tx.session, space), address, fields)
        return address_record(row, names(tx.session))


def insert_address(
    tx: Transaction,
    space: Space,
    address: IPAddress,
    fields: AddressFields,
    *,
    chain: list[Prefix] | None = None,
    free_block: tuple[IPRange, Range | None] | None = None,
) -> Address:
    """Insert one address inside an open transaction.

    Allocation passes what it already knows: ``chain``, the locked prefixes around the address,
    and ``free_block``, the free block it took the address from with the range holding it (or
    None). An address from a free block cannot be recorded already, so that check is skipped
    too; the unique constraint stays the last guard.
    """
    session = tx.session
    value = int(address)
    span = IPRange(address.version, value, value)
    if chain is None:
        chain = lock_chain(session, space, span)
    existing = (
        None if free_block is not None else queries.find_address(session, space.id, address.version, value)
    )
    if existing is not None:
        holder = f", held by {existing.holder_kind} {existing.holder_name}" if existing.holder_name else ""
        raise ConflictError(
            f"{address} is already recorded in space {space.name} (address #{existing.id}{holder})",
            existing=address_record(existing, names(session)),
        )
    if chain:
        _refuse_unusable(chain[-1], address)
    if free_block is None:
        holder_range = queries.find_range_holding(session, space.id, address.version, value)
    else:
        holder_range = free_block[1]
    row = Address(
        space_id=space.id, family=address.version, value=value, created_at=tx.now, updated_at=tx.now
    )
    _apply(session, row, _as_changes(fields))
    session.add(row)
    session.flush()
    owner = _owner(chain, holder_range)
    block = None if free_block is None else free_block[0]
    occupancy.take_span(session, owner, span, None, space_id=space.id, free_block=block)
    _count(session, chain, holder_range, row, span, sign=1)
    tx.record("create", "address", row.id, f"{address} ({space.name})", after=snapshot(row, names(session)))
    return row


def _owner(chain: list[Prefix], holder_range: Range | None) -> tuple[str, int] | None:
    if holder_range is not None:
        return ("range", holder_range.id)
    if chain:
        return ("prefix", chain[-1].id)
    return None


def _count(
    session: Session,
    chain: list[Prefix],
    holder_range: Range | None,
    row: Address,
    span: IPRange,
    *,
    sign: int,
) -> None:
    if holder_range is not None:
        holder_range.used += sign
        watch.note_range_changed(holder_range)
        return
    for prefix in chain:
        prefix.used += sign
        if prefix.unit_prefixlen is not None:
            if occupancy.is_smaller_than_unit(prefix):
                prefix.units_used = 1 if prefix.used else 0
            else:
                prefix.units_used += sign * occupancy.count_fresh_units(
                    session, prefix, span, address_id=row.id
                )
        occupancy.refresh_level(prefix)


def _refuse_unusable(prefix: Prefix, address: IPAddress) -> None:
    network: IPNetwork = occupancy.network_of(prefix)
    usable = usable_span(network, is_pool=prefix.is_pool)
    if usable is None or not usable.contains_value(int(address)):
        what = "network" if int(address) == prefix.first else "broadcast"
        if address.version == 6:
            what = "subnet-router anycast"
        raise InvalidInputError(
            f"{address} is the {what} address of {network} and is not given to hosts; "
            f"mark the prefix as a pool (--pool) if every address is usable"
        )


def update_address(
    ledger: Ledger,
    address: IPAddress,
    *,
    actor: Actor,
    space: str = DEFAULT_SPACE,
    expected_version: int | None = None,
    changes: dict[str, Any],
) -> AddressRecord:
    """Change what is recorded about an address (not the address itself)."""
    refuse_unknown_fields("address", changes, _FIELDS)
    with ledger.transaction(actor) as tx:
        row = change_address(
            tx, load_space(tx.session, space), address, changes, expected_version=expected_version
        )
        return address_record(row, names(tx.session))


def change_address(
    tx: Transaction,
    space_row: Space,
    address: IPAddress,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> Address:
    """:func:`update_address` inside an open transaction."""
    refuse_unknown_fields("address", changes, _FIELDS)
    session = tx.session
    row = load_address(session, space_row, address)
    lookup = names(session)
    require_version(
        f"{address}",
        expected=expected_version,
        actual=row.version,
        current=lambda: address_record(row, lookup),
    )
    before = snapshot(row, lookup)
    _apply(session, row, changes)
    row.updated_at = tx.now
    row.version += 1
    session.flush()
    tx.record(
        "update",
        "address",
        row.id,
        f"{address} ({space_row.name})",
        before=before,
        after=snapshot(row, lookup),
    )
    return row


def delete_address(
    ledger: Ledger, address: IPAddress, *, actor: Actor, space: str = DEFAULT_SPACE
) -> AddressRecord:
    """Remove an address from the ledger."""
    with ledger.transaction(actor) as tx:
        return remove_address(tx, load_space(tx.session, space), address)


def remove_address(tx: Transaction, space_row: Space, address: IPAddress) -> AddressRecord:
    """Delete one address inside an open transaction (see :func:`delete_address`)."""
    session = tx.session
    space = space_row.name
    value = int(address)
    span = IPRange(address.version, value, value)
    chain = lock_chain(session, space_row, span)
    row = load_address(session, space_row, address)
    lookup = names(session)
    record = address_record(row, lookup)
    holder_range = queries.find_range_holding(session, space_row.id, address.version, value)
    occupancy.release_span(session, _owner(chain, holder_range), span, None)
    tx.record("delete", "address", row.id, f"{address} ({space})", before=snapshot(row, lookup))
    session.delete(row)
    session.flush()
    _count(session, chain, holder_range, row, span, sign=-1)
    return record


def show_address(ledger: Ledger, address: IPAddress, *, space: str = DEFAULT_SPACE) -> AddressRecord:
    """What is recorded about one address.

    Raises:
        NotFoundError: the address is not recorded in the space.
    """
    with ledger.reading() as session:
        return address_record(load_address(session, load_space(session, space), address), names(session))


def list_addresses(
    ledger: Ledger,
    *,
    space: str | None = None,
    within: IPRange | None = None,
    holder: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AddressRecord]:
    with ledger.reading() as session:
        space_id = None if space is None else load_space(session, space).id
        rows = listing.list_addresses(
            session, space_id=space_id, within=within, holder=holder, limit=limit, offset=offset
        )
        lookup = names(session)
        return [address_record(row, lookup) for row in rows]


def _as_changes(fields: AddressFields) -> dict[str, Any]:
    return {name: getattr(fields, name) for name in _FIELDS}


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInputError(f"last seen {value!r} must be a time with a zone, e.g. 2026-11-25T10:00:00Z")
    return value


def _apply(session: Session, row: Address, changes: dict[str, Any]) -> None:
    if "status" in changes:
        row.status = parse_choice(Status, changes["status"], what="status").value
    if "holder_kind" in changes:
        row.holder_kind = parse_choice(HolderKind, changes["holder_kind"], what="holder kind").value
    for text_field in ("holder_name", "dns_name", "source", "description"):
        if text_field in changes:
            setattr(row, text_field, str(changes[text_field] or ""))
    if "mac" in changes:
        row.mac = clean_mac(changes["mac"] or "")
    if "last_seen" in changes:
        row.last_seen = _aware(changes["last_seen"])
    if "group" in changes:
        row.group_id = None if changes["group"] is None else load_group(session, changes["group"]).id
    if "tags" in changes:
        row.tags = clean_tags(changes["tags"])
