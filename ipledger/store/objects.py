"""Whole-space reads and writes for bulk work: every object of a space as plain rows, and
counters written back in batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ipledger.store.bulk_insert import update_rows
from ipledger.store.models import Address, FreeBlock, Prefix, Range

__all__ = [
    "AddressRow",
    "PrefixRow",
    "RangeRow",
    "delete_free_blocks_of",
    "list_pool_prefix_ids",
    "load_address_rows",
    "load_free_blocks_of",
    "load_prefix_counters",
    "load_prefix_rows",
    "load_range_counters",
    "load_range_rows",
    "reserve_ids",
    "update_prefix_counters",
    "update_range_counters",
]

_CHUNK = 500


class PrefixRow(NamedTuple):
    id: int
    first: int
    last: int
    prefixlen: int
    is_pool: bool
    unit_prefixlen: int | None
    warning: float
    critical: float
    emergency: float


class RangeRow(NamedTuple):
    id: int
    first: int
    last: int


class AddressRow(NamedTuple):
    id: int
    value: int


def load_prefix_rows(session: Session, space_id: int, version: int) -> list[PrefixRow]:
    rows = session.execute(
        select(
            Prefix.id,
            Prefix.first,
            Prefix.last,
            Prefix.prefixlen,
            Prefix.is_pool,
            Prefix.unit_prefixlen,
            Prefix.warning,
            Prefix.critical,
            Prefix.emergency,
        ).where(Prefix.space_id == space_id, Prefix.family == version)
    )
    return [PrefixRow(*row) for row in rows]


def load_range_rows(session: Session, space_id: int, version: int) -> list[RangeRow]:
    rows = session.execute(
        select(Range.id, Range.first, Range.last).where(Range.space_id == space_id, Range.family == version)
    )
    return [RangeRow(*row) for row in rows]


def load_address_rows(session: Session, space_id: int, version: int) -> list[AddressRow]:
    """Every address of a space and family as (id, value).

    Read through the driver directly: a space can hold hundreds of thousands of addresses, and
    the generic result path costs several times the query itself.
    """
    connection = session.connection()
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.exec_driver_sql(
        f"SELECT id, value FROM addresses WHERE space_id = {placeholder} AND family = {placeholder}",
        (space_id, version),
    )
    from_bytes = int.from_bytes
    return [AddressRow(key, from_bytes(value, "big")) for key, value in cursor]


def list_pool_prefix_ids(session: Session, space_id: int, version: int) -> set[int]:
    return set(
        session.scalars(
            select(Prefix.id).where(Prefix.space_id == space_id, Prefix.family == version, Prefix.is_pool)
        )
    )


def delete_free_blocks_of(session: Session, owner_kind: str, owner_ids: Sequence[int]) -> None:
    for start in range(0, len(owner_ids), _CHUNK):
        chunk = owner_ids[start : start + _CHUNK]
        session.execute(
            delete(FreeBlock).where(FreeBlock.owner_kind == owner_kind, FreeBlock.owner_id.in_(chunk))
        )


def update_prefix_counters(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write measured counters, each row a dict with ``id`` and the counter columns."""
    update_rows(session, Prefix, rows)


def update_range_counters(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    update_rows(session, Range, rows)


def load_prefix_counters(session: Session, space_id: int, version: int) -> dict[int, tuple[int, int, int]]:
    """Stored (used, covered, units_used) of every prefix of a space and family."""
    rows = session.execute(
        select(Prefix.id, Prefix.used, Prefix.covered, Prefix.units_used).where(
            Prefix.space_id == space_id, Prefix.family == version
        )
    )
    return {row.id: (row.used, row.covered, row.units_used) for row in rows}


def load_range_counters(session: Session, space_id: int, version: int) -> dict[int, int]:
    rows = session.execute(
        select(Range.id, Range.used).where(Range.space_id == space_id, Range.family == version)
    )
    return {row.id: row.used for row in rows}


def load_free_blocks_of(
    session: Session, owner_kind: str, owner_ids: Sequence[int]
) -> dict[int, list[tuple[int, int]]]:
    """Stored free blocks ``(first, last)`` per owner, ascending."""
    found: dict[int, list[tuple[int, int]]] = {key: [] for key in owner_ids}
    for start in range(0, len(owner_ids), _CHUNK):
        chunk = owner_ids[start : start + _CHUNK]
        rows = session.execute(
            select(FreeBlock.owner_id, FreeBlock.first, FreeBlock.last)
            .where(FreeBlock.owner_kind == owner_kind, FreeBlock.owner_id.in_(chunk))
            .order_by(FreeBlock.owner_id, FreeBlock.first)
        )
        for row in rows:
            found[row.owner_id].append((row.first, row.last))
    return found


def reserve_ids(session: Session, model: type[Prefix | Range | Address], count: int) -> list[int]:
    """``count`` fresh primary keys for rows the caller inserts itself in this transaction.

    PostgreSQL draws them from the table's sequence; SQLite continues after the highest key,
    which is safe because a writer there holds the database's write lock.
    """
    if count <= 0:
        return []
    table = model.__tablename__
    if session.get_bind().dialect.name == "postgresql":
        statement = text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :count)"
        )
        return [int(value) for value in session.scalars(statement, {"count": count})]
    highest = session.scalar(select(func.max(model.id))) or 0
    return list(range(highest + 1, highest + 1 + count))
