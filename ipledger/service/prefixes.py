"""Prefixes: record, change, remove, show with their nesting, and list with filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ipledger.core.addresses import IPAddress, IPNetwork, max_prefixlen
from ipledger.core.allocation import usable_span
from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ipledger.core.utilization import direct_parents
from ipledger.core.vocabulary import Status, parse_choice
from ipledger.service import occupancy
from ipledger.service.convert import names, prefix_record, range_record, snapshot
from ipledger.service.fields import clean_tags, refuse_unknown_fields, require_version
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.locking import lock_chain, lock_within
from ipledger.service.lookup import (
    DEFAULT_SPACE,
    group_ids,
    load_group,
    load_prefix,
    load_space,
    require_role,
)
from ipledger.service.records import PrefixRecord
from ipledger.service.watch import forget_subject
from ipledger.store import listing, queries
from ipledger.store.database import Session
from ipledger.store.models import Prefix, Space

__all__ = [
    "PrefixDetail",
    "PrefixFilter",
    "change_prefix",
    "create_prefix",
    "delete_prefix",
    "insert_prefix",
    "list_prefixes",
    "remove_prefix",
    "show_prefix",
    "unit_for",
    "update_prefix",
]

_DEFAULT_UNIT = 64
_FIELDS = {
    "status",
    "role",
    "group",
    "managed_by",
    "description",
    "tags",
    "is_pool",
    "thresholds",
    "unit_prefixlen",
}


@dataclass(frozen=True, slots=True)
class PrefixDetail:
    """A prefix with the chain of prefixes around it (outermost first) and its direct children."""

    prefix: PrefixRecord
    parents: tuple[PrefixRecord, ...]
    children: tuple[PrefixRecord, ...]
    ranges: int
    addresses: int


@dataclass(frozen=True, slots=True)
class PrefixFilter:
    """What a listing keeps; every field left at its default keeps everything."""

    space: str | None = None
    group: str | None = None
    include_descendant_groups: bool = True
    role: str | None = None
    status: str | None = None
    tag: str | None = None
    family: int | None = None
    contains: IPAddress | None = None
    within: IPNetwork | None = None
    utilization_gte: float | None = None
    level: str | None = None
    text: str | None = None
    sort: str = "prefix"
    limit: int | None = None
    offset: int = 0


def create_prefix(
    ledger: Ledger,
    network: IPNetwork,
    *,
    actor: Actor,
    space: str = DEFAULT_SPACE,
    status: str = "active",
    role: str = "general",
    group: str | None = None,
    managed_by: str = "manual",
    description: str = "",
    tags: tuple[str, ...] = (),
    is_pool: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    unit_prefixlen: int | None = None,
) -> PrefixRecord:
    """Record ``network`` in ``space``.

    Raises:
        ConflictError: the CIDR is already recorded in the space, or it would cut through a range.
        NotFoundError: unknown space or group.
        InvalidInputError: unknown role or status, or a bad unit length.
    """
    with ledger.transaction(actor) as tx:
        prefix = insert_prefix(
            tx,
            load_space(tx.session, space),
            network,
            status=status,
            role=role,
            group=group,
            managed_by=managed_by,
            description=description,
            tags=tags,
            is_pool=is_pool,
            thresholds=thresholds,
            unit_prefixlen=unit_prefixlen,
        )
        return prefix_record(prefix, names(tx.session))


def insert_prefix(
    tx: Transaction,
    space: Space,
    network: IPNetwork,
    *,
    status: str,
    role: str,
    group: str | None,
    managed_by: str,
    description: str,
    tags: tuple[str, ...],
    is_pool: bool,
    thresholds: Thresholds,
    unit_prefixlen: int | None,
) -> Prefix:
    """Insert one prefix inside an open transaction, keeping free space and utilization current."""
    session = tx.session
    span = IPRange.from_network(network)
    chain = lock_chain(session, space, span)
    lock_within(session, space, span)
    if chain and chain[-1].prefixlen == network.prefixlen:
        raise ConflictError(
            f"{network} already exists in space {space.name} ({_describe(chain[-1], session)})",
            existing=prefix_record(chain[-1], names(session)),
        )
    _refuse_cut_ranges(session, space, span, network)
    prefix = Prefix(
        space_id=space.id,
        family=network.version,
        first=span.first,
        last=span.last,
        prefixlen=network.prefixlen,
        status=parse_choice(Status, status, what="status").value,
        role=require_role(session, role),
        group_id=None if group is None else load_group(session, group).id,
        managed_by=managed_by,
        description=description,
        tags=clean_tags(tags),
        is_pool=is_pool,
        warning=thresholds.warning,
        critical=thresholds.critical,
        emergency=thresholds.emergency,
        unit_prefixlen=unit_for(network, unit_prefixlen),
        size=span.num_addresses,
        usable=_usable_count(network, is_pool),
        created_at=tx.now,
        updated_at=tx.now,
    )
    session.add(prefix)
    session.flush()
    owner = chain[-1] if chain else None
    occupancy.take_span(
        session,
        None if owner is None else ("prefix", owner.id),
        span,
        ("prefix", prefix.id),
        space_id=space.id,
    )
    occupancy.store_usage(prefix, occupancy.measure_one(session, prefix))
    if owner is not None:
        owner.covered += prefix.size - prefix.covered
        occupancy.refresh_level(owner)
    tx.record(
        "create", "prefix", prefix.id, f"{network} ({space.name})", after=snapshot(prefix, names(session))
    )
    return prefix


def update_prefix(
    ledger: Ledger,
    network: IPNetwork,
    *,
    actor: Actor,
    space: str = DEFAULT_SPACE,
    expected_version: int | None = None,
    changes: dict[str, Any],
) -> PrefixRecord:
    """Change fields of a prefix (not its CIDR: record a new prefix for that).

    Accepted fields: status, role, group (a path, or None to clear), managed_by, description,
    tags, is_pool, thresholds (a Thresholds), unit_prefixlen.

    Raises:
        StaleVersionError: ``expected_version`` is given and the prefix has moved on.
        InvalidInputError: an unknown field or a bad value.
    """
    with ledger.transaction(actor) as tx:
        prefix = change_prefix(
            tx, load_space(tx.session, space), network, changes, expected_version=expected_version
        )
        return prefix_record(prefix, names(tx.session))


def change_prefix(
    tx: Transaction,
    space_row: Space,
    network: IPNetwork,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> Prefix:
    """:func:`update_prefix` inside an open transaction."""
    session = tx.session
    prefix = load_prefix(session, space_row, network)
    lookup = names(session)
    require_version(
        f"{network}",
        expected=expected_version,
        actual=prefix.version,
        current=lambda: prefix_record(prefix, lookup),
    )
    before = snapshot(prefix, lookup)
    _apply_changes(session, prefix, changes)
    prefix.updated_at = tx.now
    prefix.version += 1
    session.flush()
    tx.record(
        "update",
        "prefix",
        prefix.id,
        f"{network} ({space_row.name})",
        before=before,
        after=snapshot(prefix, lookup),
    )
    return prefix


def _apply_changes(session: Session, prefix: Prefix, changes: dict[str, Any]) -> None:
    refuse_unknown_fields("prefix", changes, _FIELDS)
    network = occupancy.network_of(prefix)
    if "status" in changes:
        prefix.status = parse_choice(Status, changes["status"], what="status").value
    if "role" in changes:
        prefix.role = require_role(session, changes["role"])
    if "group" in changes:
        prefix.group_id = None if changes["group"] is None else load_group(session, changes["group"]).id
    for text_field in ("managed_by", "description"):
        if text_field in changes:
            setattr(prefix, text_field, str(changes[text_field]))
    if "tags" in changes:
        prefix.tags = clean_tags(changes["tags"])
    if "thresholds" in changes:
        marks = _thresholds(changes["thresholds"])
        prefix.warning, prefix.critical, prefix.emergency = marks.warning, marks.critical, marks.emergency
    remeasure = False
    if "is_pool" in changes:
        prefix.is_pool = bool(changes["is_pool"])
        prefix.usable = _usable_count(network, prefix.is_pool)
    if "unit_prefixlen" in changes:
        prefix.unit_prefixlen = unit_for(network, changes["unit_prefixlen"])
        remeasure = True
    if remeasure:
        occupancy.store_usage(prefix, occupancy.measure_one(session, prefix))
    occupancy.refresh_level(prefix)


def _thresholds(value: Any) -> Thresholds:
    """Thresholds given as such, or as a mapping of warning, critical and emergency."""
    if isinstance(value, Thresholds):
        return value
    if isinstance(value, dict) and set(value) == {"warning", "critical", "emergency"}:
        try:
            return Thresholds(**{key: float(mark) for key, mark in value.items()})
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"thresholds {value!r}: each mark must be a number ({exc})") from exc
    raise InvalidInputError(
        f"thresholds {value!r}: give all three of warning, critical and emergency (percent)"
    )


def delete_prefix(
    ledger: Ledger, network: IPNetwork, *, actor: Actor, space: str = DEFAULT_SPACE
) -> PrefixRecord:
    """Remove a prefix; what it held stays and now belongs to the prefix around it.

    Raises:
        ConflictError: it holds a range and no prefix around it would hold the range instead.
    """
    with ledger.transaction(actor) as tx:
        return remove_prefix(tx, load_space(tx.session, space), network)


def remove_prefix(tx: Transaction, space_row: Space, network: IPNetwork) -> PrefixRecord:
    """Delete one prefix inside an open transaction (see :func:`delete_prefix`)."""
    session = tx.session
    space = space_row.name
    span = IPRange.from_network(network)
    chain = lock_chain(session, space_row, span)
    prefix = load_prefix(session, space_row, network)
    lookup = names(session)
    record = prefix_record(prefix, lookup)
    owner = chain[-2] if len(chain) > 1 else None
    if owner is None:
        for item in queries.list_ranges_within(session, space_row.id, span):
            raise ConflictError(
                f"{network} holds range {occupancy.span_of_range(item)} and no prefix around it would: "
                "delete the range first, or record the outer prefix",
                existing=range_record(item, lookup),
            )
    occupancy.release_span(
        session, None if owner is None else ("prefix", owner.id), span, ("prefix", prefix.id)
    )
    if owner is not None:
        owner.covered -= prefix.size - prefix.covered
        occupancy.refresh_level(owner)
    tx.record("delete", "prefix", prefix.id, f"{network} ({space})", before=snapshot(prefix, lookup))
    forget_subject(tx, "prefix", prefix.id)
    session.delete(prefix)
    return record


def show_prefix(ledger: Ledger, network: IPNetwork, *, space: str = DEFAULT_SPACE) -> PrefixDetail:
    with ledger.reading() as session:
        space_row = load_space(session, space)
        prefix = load_prefix(session, space_row, network)
        span = IPRange.from_network(network)
        lookup = names(session)
        parents = [
            item
            for item in queries.list_prefixes_containing(session, space_row.id, span)
            if item.id != prefix.id
        ]
        inside = [
            item for item in queries.list_prefixes_within(session, space_row.id, span) if item.id != prefix.id
        ]
        spans = [occupancy.span_of_prefix(item) for item in inside]
        children = [
            item for item, parent in zip(inside, direct_parents(spans), strict=True) if parent is None
        ]
        return PrefixDetail(
            prefix=prefix_record(prefix, lookup),
            parents=tuple(prefix_record(item, lookup) for item in parents),
            children=tuple(prefix_record(item, lookup) for item in children),
            ranges=len(queries.list_ranges_within(session, space_row.id, span)),
            addresses=queries.count_addresses_within(session, space_row.id, span),
        )


def list_prefixes(ledger: Ledger, criteria: PrefixFilter = PrefixFilter()) -> tuple[list[PrefixRecord], int]:
    """The prefixes that match, in the asked order, with the total count before paging."""
    if criteria.sort not in listing.PREFIX_SORTS:
        raise InvalidInputError(
            f"unknown sort {criteria.sort!r}: expected one of {', '.join(listing.PREFIX_SORTS)}"
        )
    with ledger.reading() as session:
        query = listing.PrefixQuery(
            space_id=None if criteria.space is None else load_space(session, criteria.space).id,
            group_ids=group_ids(session, criteria.group, descendants=criteria.include_descendant_groups),
            role=None if criteria.role is None else require_role(session, criteria.role),
            status=None
            if criteria.status is None
            else parse_choice(Status, criteria.status, what="status").value,
            tag=criteria.tag,
            family=criteria.family,
            contains=None
            if criteria.contains is None
            else (criteria.contains.version, int(criteria.contains)),
            within=None if criteria.within is None else IPRange.from_network(criteria.within),
            utilization_gte=criteria.utilization_gte,
            level=criteria.level,
            text=criteria.text,
            sort=criteria.sort,
            limit=criteria.limit,
            offset=criteria.offset,
        )
        rows, total = listing.list_prefixes(session, query)
        lookup = names(session).prefetch_groups(item.group_id for item in rows)
        return [prefix_record(item, lookup) for item in rows], total


def _describe(prefix: Prefix, session: Session) -> str:
    group = names(session).group(prefix.group_id)
    where = f", group {group}" if group else ""
    return f"prefix #{prefix.id}, role {prefix.role}, status {prefix.status}{where}"


def _refuse_cut_ranges(session: Session, space: Space, span: IPRange, network: IPNetwork) -> None:
    for item in queries.list_ranges_overlapping(session, space.id, span):
        if not span.contains(occupancy.span_of_range(item)):
            raise ConflictError(
                f"{network} would cut through range {occupancy.span_of_range(item)} (range #{item.id}): "
                "a prefix must contain a range whole or stay clear of it",
                existing=range_record(item, names(session)),
            )


def _usable_count(network: IPNetwork, is_pool: bool) -> int:
    usable = usable_span(network, is_pool=is_pool)
    return 0 if usable is None else usable.num_addresses


def unit_for(network: IPNetwork, unit_prefixlen: int | None) -> int | None:
    """IPv6 prefixes count allocation units (default /64); IPv4 prefixes have none."""
    if network.version == 4:
        if unit_prefixlen is not None:
            raise InvalidInputError(f"{network}: allocation units apply to IPv6 prefixes only")
        return None
    unit = _DEFAULT_UNIT if unit_prefixlen is None else unit_prefixlen
    if not 1 <= unit <= max_prefixlen(6):
        raise InvalidInputError(f"allocation unit /{unit} is out of bounds (1 to 128)")
    return unit
