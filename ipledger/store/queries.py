"""Lookups by containment and overlap, written as index range scans on (space, family, first).

Prefixes are CIDR blocks, so the prefixes containing a span are found by exact lookups of the
span's first address masked to every shorter length (at most 33 or 129 probes of one index),
never by scanning all prefixes that start before it. Ranges never overlap one another, so the
range holding an address is the one with the greatest start at or below it. No function here
commits: the service owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ipledger.core.addresses import max_prefixlen
from ipledger.core.ranges import IPRange
from ipledger.store.models import Address, Group, Prefix, Range, Space

__all__ = [
    "count_addresses_within",
    "existing_address_values",
    "find_address",
    "find_group_by_path",
    "find_prefix",
    "find_prefix_key",
    "find_range_holding",
    "find_space",
    "list_addresses_by_source",
    "list_addresses_within",
    "list_prefixes_containing",
    "list_prefixes_starting_inside",
    "list_prefixes_within",
    "list_ranges_overlapping",
    "list_ranges_within",
]


# The hot lookups are built once: composing a statement costs more than running it on SQLite.
_SPACE_BY_NAME = select(Space).where(Space.name == bindparam("name"))
_PREFIX_KEY = (
    select(Prefix.id, Prefix.is_pool)
    .join(Space, Space.id == Prefix.space_id)
    .where(
        Space.name == bindparam("space"),
        Prefix.family == bindparam("family"),
        Prefix.first == bindparam("first"),
        Prefix.prefixlen == bindparam("prefixlen"),
    )
)
_PREFIXES_CONTAINING = (
    select(Prefix)
    .where(
        Prefix.space_id == bindparam("space_id"),
        Prefix.family == bindparam("family"),
        Prefix.first.in_(bindparam("firsts", expanding=True)),
        Prefix.last >= bindparam("last"),
    )
    .order_by(Prefix.prefixlen)
)
_PREFIXES_CONTAINING_FOR_UPDATE = _PREFIXES_CONTAINING.with_for_update()


def find_space(session: Session, name: str) -> Space | None:
    return session.scalars(_SPACE_BY_NAME, {"name": name}).one_or_none()


def find_group_by_path(session: Session, path: str) -> Group | None:
    return session.scalars(select(Group).where(Group.path == path)).one_or_none()


def find_prefix(session: Session, space_id: int, span: IPRange) -> Prefix | None:
    """The prefix of exactly this CIDR span, if recorded."""
    prefixlen = max_prefixlen(span.version) - (span.num_addresses.bit_length() - 1)
    return session.scalars(
        select(Prefix).where(
            Prefix.space_id == space_id,
            Prefix.family == span.version,
            Prefix.first == span.first,
            Prefix.prefixlen == prefixlen,
        )
    ).one_or_none()


def find_prefix_key(session: Session, space_name: str, span: IPRange) -> tuple[int, bool] | None:
    """Id and pool flag of the prefix of exactly this span in the named space: one indexed
    query, for the hot read paths that need nothing else of the prefix."""
    prefixlen = max_prefixlen(span.version) - (span.num_addresses.bit_length() - 1)
    row = session.execute(
        _PREFIX_KEY,
        {"space": space_name, "family": span.version, "first": span.first, "prefixlen": prefixlen},
    ).first()
    return None if row is None else (row.id, row.is_pool)


def list_prefixes_containing(
    session: Session, space_id: int, span: IPRange, *, for_update: bool = False
) -> list[Prefix]:
    """Every prefix that contains ``span`` (itself included if it is one), outermost first."""
    bits = max_prefixlen(span.version)
    candidates = {span.first & ~((1 << (bits - length)) - 1) for length in range(bits + 1)}
    query = _PREFIXES_CONTAINING_FOR_UPDATE if for_update else _PREFIXES_CONTAINING
    values = {"space_id": space_id, "family": span.version, "firsts": sorted(candidates), "last": span.last}
    return [prefix for prefix in session.scalars(query, values) if prefix.first <= span.first]


def list_prefixes_within(session: Session, space_id: int, span: IPRange) -> list[Prefix]:
    """Every prefix inside ``span`` (a prefix equal to it included), by address then length."""
    return list(
        session.scalars(
            select(Prefix)
            .where(
                Prefix.space_id == space_id,
                Prefix.family == span.version,
                Prefix.first >= span.first,
                Prefix.first <= span.last,
                Prefix.last <= span.last,
            )
            .order_by(Prefix.first, Prefix.prefixlen)
        )
    )


def list_prefixes_starting_inside(session: Session, space_id: int, span: IPRange) -> Sequence[Prefix]:
    """Prefixes whose first address lies in ``span`` after its first address."""
    return session.scalars(
        select(Prefix).where(
            Prefix.space_id == space_id,
            Prefix.family == span.version,
            Prefix.first > span.first,
            Prefix.first <= span.last,
        )
    ).all()


def find_range_holding(session: Session, space_id: int, version: int, value: int) -> Range | None:
    """The range that holds the address ``value``, if any."""
    candidate = session.scalars(
        select(Range)
        .where(Range.space_id == space_id, Range.family == version, Range.first <= value)
        .order_by(Range.first.desc())
        .limit(1)
    ).one_or_none()
    return candidate if candidate is not None and candidate.last >= value else None


def list_ranges_overlapping(session: Session, space_id: int, span: IPRange) -> list[Range]:
    """Ranges sharing at least one address with ``span``, by start."""
    found = []
    before = find_range_holding(session, space_id, span.version, span.first)
    if before is not None:
        found.append(before)
    found.extend(
        item
        for item in list_ranges_within_firsts(session, space_id, span)
        if before is None or item.id != before.id
    )
    return found


def list_ranges_within_firsts(session: Session, space_id: int, span: IPRange) -> Sequence[Range]:
    """Ranges that start inside ``span``, by start."""
    return session.scalars(
        select(Range)
        .where(
            Range.space_id == space_id,
            Range.family == span.version,
            Range.first >= span.first,
            Range.first <= span.last,
        )
        .order_by(Range.first)
    ).all()


def list_ranges_within(session: Session, space_id: int, span: IPRange) -> list[Range]:
    """Ranges lying entirely inside ``span``, by start."""
    return [item for item in list_ranges_within_firsts(session, space_id, span) if item.last <= span.last]


def find_address(session: Session, space_id: int, version: int, value: int) -> Address | None:
    return session.scalars(
        select(Address).where(Address.space_id == space_id, Address.family == version, Address.value == value)
    ).one_or_none()


def count_addresses_within(
    session: Session, space_id: int, span: IPRange, *, except_source: str | None = None
) -> int:
    query = select(func.count()).select_from(Address).where(*_within(space_id, span, except_source))
    return session.scalar(query) or 0


def list_addresses_within(
    session: Session,
    space_id: int,
    span: IPRange,
    *,
    limit: int | None = None,
    except_source: str | None = None,
) -> list[Address]:
    query = select(Address).where(*_within(space_id, span, except_source)).order_by(Address.value)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _within(space_id: int, span: IPRange, except_source: str | None) -> list[ColumnElement[bool]]:
    """The conditions of the space's addresses in ``span`` (those recorded by ``except_source`` left out)."""
    conditions = [
        Address.space_id == space_id,
        Address.family == span.version,
        Address.value >= span.first,
        Address.value <= span.last,
    ]
    if except_source is not None:
        conditions.append(Address.source != except_source)
    return conditions


def list_addresses_by_source(session: Session, space_id: int, source: str) -> Sequence[Address]:
    """The space's addresses recorded by ``source`` (e.g. ``sync:prod``)."""
    return session.scalars(
        select(Address).where(Address.space_id == space_id, Address.source == source)
    ).all()


def existing_address_values(
    session: Session, space_id: int, keys: Sequence[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which of these ``(family, value)`` pairs are recorded in the space."""
    found: set[tuple[int, int]] = set()
    for family in {key[0] for key in keys}:
        values = [value for version, value in keys if version == family]
        for start in range(0, len(values), 500):
            rows = session.execute(
                select(Address.value).where(
                    Address.space_id == space_id,
                    Address.family == family,
                    Address.value.in_(values[start : start + 500]),
                )
            )
            found.update((family, row.value) for row in rows)
    return found
