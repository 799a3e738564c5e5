"""Listings with filters, sorting and paging, for prefixes, ranges and addresses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from ipledger.core.ranges import IPRange
from ipledger.store.models import Address, Group, Prefix, Range

__all__ = [
    "ADDRESS_SORTS",
    "PREFIX_SORTS",
    "AddressQuery",
    "PrefixQuery",
    "RangeQuery",
    "list_addresses",
    "list_addresses_not_seen_since",
    "list_all_prefixes",
    "list_all_ranges",
    "list_prefix_usage",
    "list_prefixes",
    "list_prefixes_above_ok",
    "list_ranges",
    "list_tag_lists",
    "search_addresses",
    "search_ranges",
]

PREFIX_SORTS: dict[str, list[Any]] = {
    "prefix": [Prefix.space_id, Prefix.family, Prefix.first, Prefix.prefixlen],
    # Ties end on the id, so that pages of an equal-utilization run neither repeat nor skip.
    "utilization": [Prefix.utilization_percent.desc(), Prefix.family, Prefix.first, Prefix.id],
    "-utilization": [Prefix.utilization_percent, Prefix.family, Prefix.first, Prefix.id],
    "created": [Prefix.created_at, Prefix.id],
}


ADDRESS_SORTS: dict[str, list[Any]] = {
    "address": [Address.space_id, Address.family, Address.value],
    "-address": [Address.space_id, Address.family.desc(), Address.value.desc()],
    "holder": [Address.holder_kind, Address.holder_name, Address.family, Address.value],
    "status": [Address.status, Address.family, Address.value],
    "updated": [Address.updated_at.desc(), Address.id.desc()],
}


@dataclass(frozen=True, slots=True)
class PrefixQuery:
    """Resolved filters (ids, not names); None keeps everything."""

    space_id: int | None = None
    group_ids: Sequence[int] | None = None
    role: str | None = None
    status: str | None = None
    tag: str | None = None
    family: int | None = None
    contains: tuple[int, int] | None = None
    within: IPRange | None = None
    utilization_gte: float | None = None
    level: str | None = None
    text: str | None = None
    sort: str = "prefix"
    limit: int | None = None
    offset: int = 0


def list_prefixes(session: Session, query: PrefixQuery) -> tuple[Sequence[Prefix], int]:
    """The matching prefixes in the asked order, and how many match before paging."""
    statement = _filtered(query)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    statement = statement.order_by(*PREFIX_SORTS[query.sort]).offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return session.scalars(statement).all(), total


def _filtered(query: PrefixQuery) -> Select[Prefix]:
    statement = select(Prefix)
    if query.space_id is not None:
        statement = statement.where(Prefix.space_id == query.space_id)
    if query.group_ids is not None:
        statement = statement.where(Prefix.group_id.in_(query.group_ids))
    if query.role is not None:
        statement = statement.where(Prefix.role == query.role)
    if query.status is not None:
        statement = statement.where(Prefix.status == query.status)
    if query.family is not None:
        statement = statement.where(Prefix.family == query.family)
    if query.contains is not None:
        version, value = query.contains
        statement = statement.where(Prefix.family == version, Prefix.first <= value, Prefix.last >= value)
    if query.within is not None:
        span = query.within
        statement = statement.where(
            Prefix.family == span.version, Prefix.first >= span.first, Prefix.last <= span.last
        )
    if query.utilization_gte is not None:
        statement = statement.where(Prefix.utilization_percent >= query.utilization_gte)
    if query.level is not None:
        statement = statement.where(Prefix.level == query.level)
    if query.text is not None:
        pattern = f"%{query.text}%"
        statement = statement.where(or_(Prefix.description.ilike(pattern), Prefix.managed_by.ilike(pattern)))
    if query.tag is not None:
        statement = statement.where(cast(Prefix.tags, Text).like(_tag_pattern(query.tag), escape="\\"))
    return statement


def _tag_pattern(tag: str) -> str:
    """A LIKE pattern for one whole tag inside the stored JSON list.

    The list is stored as ``json.dumps`` writes it, so the tag is matched in that exact form
    (quoted, escaped) and LIKE's own wildcards in it are escaped.
    """
    encoded = json.dumps(tag)
    for special in ("\\", "%", "_"):
        encoded = encoded.replace(special, "\\" + special)
    return f"%{encoded}%"


def list_prefix_usage(session: Session) -> Sequence[Any]:
    """Every prefix as the plain row the group roll-up needs (no ORM objects: 10,000 of them
    would cost most of a second): space, family, first, last, group, and the usage counters."""
    return session.execute(
        select(
            Prefix.space_id,
            Prefix.family,
            Prefix.first,
            Prefix.last,
            Prefix.group_id,
            Prefix.size,
            Prefix.usable,
            Prefix.used,
            Prefix.covered,
        ).order_by(*PREFIX_SORTS["prefix"])
    ).all()


def list_all_prefixes(session: Session, *, space_id: int | None = None) -> Sequence[Prefix]:
    """Every prefix (of one space), by space, family, address and length."""
    statement = select(Prefix).order_by(*PREFIX_SORTS["prefix"])
    if space_id is not None:
        statement = statement.where(Prefix.space_id == space_id)
    return session.scalars(statement).all()


def list_prefixes_above_ok(session: Session) -> Sequence[Prefix]:
    return session.scalars(select(Prefix).where(Prefix.level != "ok").order_by(*PREFIX_SORTS["prefix"])).all()


@dataclass(frozen=True, slots=True)
class RangeQuery:
    space_id: int | None = None
    group_ids: Sequence[int] | None = None
    role: str | None = None
    status: str | None = None
    tag: str | None = None
    family: int | None = None
    contains: tuple[int, int] | None = None
    within: IPRange | None = None
    text: str | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class AddressQuery:
    space_id: int | None = None
    group_ids: Sequence[int] | None = None
    status: str | None = None
    holder_kind: str | None = None
    tag: str | None = None
    family: int | None = None
    within: IPRange | None = None
    text: str | None = None
    sort: str = "address"
    limit: int | None = None
    offset: int = 0


def search_ranges(session: Session, query: RangeQuery) -> tuple[Sequence[Range], int]:
    """Matching ranges by space and start, and how many match before paging."""
    statement = select(Range)
    if query.space_id is not None:
        statement = statement.where(Range.space_id == query.space_id)
    if query.group_ids is not None:
        statement = statement.where(Range.group_id.in_(query.group_ids))
    if query.role is not None:
        statement = statement.where(Range.role == query.role)
    if query.status is not None:
        statement = statement.where(Range.status == query.status)
    if query.family is not None:
        statement = statement.where(Range.family == query.family)
    if query.contains is not None:
        version, value = query.contains
        statement = statement.where(Range.family == version, Range.first <= value, Range.last >= value)
    if query.within is not None:
        span = query.within
        statement = statement.where(
            Range.family == span.version, Range.first >= span.first, Range.last <= span.last
        )
    if query.text is not None:
        pattern = f"%{query.text}%"
        statement = statement.where(or_(Range.description.ilike(pattern), Range.managed_by.ilike(pattern)))
    if query.tag is not None:
        statement = statement.where(cast(Range.tags, Text).like(_tag_pattern(query.tag), escape="\\"))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    statement = statement.order_by(Range.space_id, Range.family, Range.first).offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return session.scalars(statement).all(), total


def search_addresses(session: Session, query: AddressQuery) -> tuple[Sequence[Address], int]:
    """Matching addresses by space and value, and how many match before paging."""
    statement = select(Address)
    if query.space_id is not None:
        statement = statement.where(Address.space_id == query.space_id)
    if query.group_ids is not None:
        statement = statement.where(Address.group_id.in_(query.group_ids))
    if query.status is not None:
        statement = statement.where(Address.status == query.status)
    if query.holder_kind is not None:
        statement = statement.where(Address.holder_kind == query.holder_kind)
    if query.family is not None:
        statement = statement.where(Address.family == query.family)
    if query.within is not None:
        span = query.within
        statement = statement.where(
            Address.family == span.version, Address.value >= span.first, Address.value <= span.last
        )
    if query.text is not None:
        pattern = f"%{query.text}%"
        statement = statement.where(
            or_(
                Address.holder_name.ilike(pattern),
                Address.dns_name.ilike(pattern),
                Address.description.ilike(pattern),
                Address.mac.ilike(pattern),
            )
        )
    if query.tag is not None:
        statement = statement.where(cast(Address.tags, Text).like(_tag_pattern(query.tag), escape="\\"))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    statement = statement.order_by(*ADDRESS_SORTS[query.sort]).offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return session.scalars(statement).all(), total


def list_ranges(
    session: Session, *, space_id: int | None, within: IPRange | None, limit: int | None, offset: int
) -> Sequence[Range]:
    statement = select(Range)
    if space_id is not None:
        statement = statement.where(Range.space_id == space_id)
    if within is not None:
        statement = statement.where(
            Range.family == within.version, Range.first >= within.first, Range.last <= within.last
        )
    statement = statement.order_by(Range.space_id, Range.family, Range.first).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return session.scalars(statement).all()


def list_all_ranges(session: Session) -> Sequence[Range]:
    return session.scalars(select(Range).order_by(Range.space_id, Range.family, Range.first)).all()


def list_addresses(
    session: Session,
    *,
    space_id: int | None,
    within: IPRange | None,
    holder: str | None,
    limit: int | None,
    offset: int,
) -> Sequence[Address]:
    statement = select(Address)
    if space_id is not None:
        statement = statement.where(Address.space_id == space_id)
    if within is not None:
        statement = statement.where(
            Address.family == within.version, Address.value >= within.first, Address.value <= within.last
        )
    if holder is not None:
        pattern = f"%{holder}%"
        statement = statement.where(or_(Address.holder_name.ilike(pattern), Address.dns_name.ilike(pattern)))
    statement = statement.order_by(Address.space_id, Address.family, Address.value).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return session.scalars(statement).all()


def list_addresses_not_seen_since(
    session: Session, cutoff: datetime, *, space_id: int | None = None
) -> Sequence[Address]:
    """Addresses last seen before ``cutoff``, or never seen and recorded before it."""
    statement = select(Address).where(
        or_(
            Address.last_seen < cutoff,
            and_(Address.last_seen.is_(None), Address.created_at < cutoff),
        )
    )
    if space_id is not None:
        statement = statement.where(Address.space_id == space_id)
    return session.scalars(statement.order_by(Address.space_id, Address.family, Address.value)).all()


def list_tag_lists(session: Session) -> list[list[str]]:
    """The tag list of every prefix, range, address and group (for naming tags by id)."""
    found: list[list[str]] = []
    for column in (Prefix.tags, Range.tags, Address.tags, Group.tags):
        found.extend(tags for tags in session.scalars(select(column)) if tags)
    return found
