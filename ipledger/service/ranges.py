"""Ranges: a start-to-end span inside one prefix (a DHCP scope, a load-balancer pool)."""

from __future__ import annotations

from typing import Any

from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.core.ranges import IPRange
from ipledger.core.vocabulary import Status, parse_choice
from ipledger.service import occupancy
from ipledger.service.convert import names, prefix_record, range_record, snapshot
from ipledger.service.fields import clean_tags, refuse_unknown_fields, require_version
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.locking import lock_chain
from ipledger.service.lookup import DEFAULT_SPACE, load_group, load_range, load_space, require_role
from ipledger.service.records import RangeRecord
from ipledger.service.watch import forget_subject
from ipledger.store import listing, queries, watch
from ipledger.store.database import Session
from ipledger.store.models import Prefix, Range, Space

__all__ = [
    "change_range",
    "create_range",
    "delete_range",
    "insert_range",
    "list_ranges",
    "remove_range",
    "update_range",
]

_FIELDS = {"status", "role", "group", "managed_by", "description", "tags"}


def create_range(
    ledger: Ledger,
    span: IPRange,
    *,
    actor: Actor,
    space: str = DEFAULT_SPACE,
    status: str = "active",
    role: str = "general",
    group: str | None = None,
    managed_by: str = "manual",
    description: str = "",
    tags: tuple[str, ...] = (),
) -> RangeRecord:
    """Record a range; it must lie inside one prefix and overlap no other range.

    Raises:
        InvalidInputError: no prefix holds the whole range.
        ConflictError: it overlaps a range, or a prefix lies inside or across it.
    """
    with ledger.transaction(actor) as tx:
        item = insert_range(
            tx,
            load_space(tx.session, space),
            span,
            status=status,
            role=role,
            group=group,
            managed_by=managed_by,
            description=description,
            tags=tags,
        )
        return range_record(item, names(tx.session))


def insert_range(
    tx: Transaction,
    space: Space,
    span: IPRange,
    *,
    status: str,
    role: str,
    group: str | None,
    managed_by: str,
    description: str,
    tags: tuple[str, ...],
) -> Range:
    session = tx.session
    chain = lock_chain(session, space, span)
    if not chain:
        raise InvalidInputError(
            f"range {span} is not inside any prefix of space {space.name}; record its prefix first"
        )
    _refuse_crossing_prefixes(session, space, span)
    for other in queries.list_ranges_overlapping(session, space.id, span):
        raise ConflictError(
            f"range {span} overlaps range {occupancy.span_of_range(other)} (range #{other.id}) in space {space.name}",
            existing=range_record(other, names(session)),
        )
    inside = queries.count_addresses_within(session, space.id, span)
    item = Range(
        space_id=space.id,
        family=span.version,
        first=span.first,
        last=span.last,
        status=parse_choice(Status, status, what="status").value,
        role=require_role(session, role),
        group_id=None if group is None else load_group(session, group).id,
        managed_by=managed_by,
        description=description,
        tags=clean_tags(tags),
        size=span.num_addresses,
        used=inside,
        created_at=tx.now,
        updated_at=tx.now,
    )
    session.add(item)
    session.flush()
    watch.note_range_changed(item)
    occupancy.take_span(session, ("prefix", chain[-1].id), span, ("range", item.id), space_id=space.id)
    _count(session, chain, item, span, sign=1)
    tx.record("create", "range", item.id, f"{span} ({space.name})", after=snapshot(item, names(session)))
    return item


def _count(session: Session, chain: list[Prefix], item: Range, span: IPRange, *, sign: int) -> None:
    """Addresses already inside the range were counted one by one; the range now counts them all."""
    for prefix in chain:
        prefix.used += sign * (item.size - item.used)
        if prefix.unit_prefixlen is not None:
            if occupancy.is_smaller_than_unit(prefix):
                prefix.units_used = 1 if prefix.used else 0
            else:
                prefix.units_used += sign * occupancy.count_fresh_units(
                    session, prefix, span, range_id=item.id
                )
        occupancy.refresh_level(prefix)


def update_range(
    ledger: Ledger,
    span: IPRange,
    *,
    actor: Actor,
    space: str = DEFAULT_SPACE,
    expected_version: int | None = None,
    changes: dict[str, Any],
) -> RangeRecord:
    """Change fields of a range: status, role, group, managed_by, description, tags."""
    with ledger.transaction(actor) as tx:
        item = change_range(
            tx, load_space(tx.session, space), span, changes, expected_version=expected_version
        )
        return range_record(item, names(tx.session))


def change_range(
    tx: Transaction,
    space_row: Space,
    span: IPRange,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> Range:
    """:func:`update_range` inside an open transaction."""
    refuse_unknown_fields("range", changes, _FIELDS)
    session = tx.session
    item = load_range(session, space_row, span)
    lookup = names(session)
    require_version(
        f"range {span}",
        expected=expected_version,
        actual=item.version,
        current=lambda: range_record(item, lookup),
    )
    before = snapshot(item, lookup)
    if "status" in changes:
        item.status = parse_choice(Status, changes["status"], what="status").value
    if "role" in changes:
        item.role = require_role(session, changes["role"])
    if "group" in changes:
        item.group_id = None if changes["group"] is None else load_group(session, changes["group"]).id
    for text_field in ("managed_by", "description"):
        if text_field in changes:
            setattr(item, text_field, str(changes[text_field]))
    if "tags" in changes:
        item.tags = clean_tags(changes["tags"])
    item.updated_at = tx.now
    item.version += 1
    session.flush()
    tx.record(
        "update", "range", item.id, f"{span} ({space_row.name})", before=before, after=snapshot(item, lookup)
    )
    return item


def delete_range(ledger: Ledger, span: IPRange, *, actor: Actor, space: str = DEFAULT_SPACE) -> RangeRecord:
    """Remove a range; the addresses in it stay, now held by the prefix around it."""
    with ledger.transaction(actor) as tx:
        return remove_range(tx, load_space(tx.session, space), span)


def remove_range(tx: Transaction, space_row: Space, span: IPRange) -> RangeRecord:
    """Delete one range inside an open transaction (see :func:`delete_range`)."""
    session = tx.session
    space = space_row.name
    chain = lock_chain(session, space_row, span)
    item = load_range(session, space_row, span)
    lookup = names(session)
    record = range_record(item, lookup)
    occupancy.release_span(session, ("prefix", chain[-1].id), span, ("range", item.id))
    tx.record("delete", "range", item.id, f"{span} ({space})", before=snapshot(item, lookup))
    forget_subject(tx, "range", item.id)
    session.delete(item)
    session.flush()
    _count(session, chain, item, span, sign=-1)
    return record


def list_ranges(
    ledger: Ledger,
    *,
    space: str | None = None,
    within: IPRange | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RangeRecord]:
    with ledger.reading() as session:
        space_id = None if space is None else load_space(session, space).id
        rows = listing.list_ranges(session, space_id=space_id, within=within, limit=limit, offset=offset)
        lookup = names(session)
        return [range_record(item, lookup) for item in rows]


def _refuse_crossing_prefixes(session: Session, space: Space, span: IPRange) -> None:
    around_start = queries.list_prefixes_containing(
        session, space.id, IPRange(span.version, span.first, span.first)
    )
    # A prefix crosses the range if it holds the range's start but not all of it, or starts inside it.
    for prefix in [*around_start, *queries.list_prefixes_starting_inside(session, space.id, span)]:
        if not occupancy.span_of_prefix(prefix).contains(span):
            raise ConflictError(
                f"range {span} would cut through prefix {occupancy.network_of(prefix)} (prefix #{prefix.id}): "
                "a range must lie inside one prefix with no prefix inside or across it",
                existing=prefix_record(prefix, names(session)),
            )
