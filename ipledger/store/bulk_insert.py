"""Inserting and updating many rows at once with the driver's own executemany.

SQLAlchemy's generic statement path costs tens of microseconds per row, which at a hundred
thousand rows is most of an import. This path converts each column with the column type's own
bind processor (so the stored form is exactly what the ORM would store) and hands the batch to
the driver in one executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from ipledger.store.models import Base
from ipledger.store.types import AddressValue

__all__ = ["insert_columns", "insert_rows", "update_rows"]


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into the model's table in the session's transaction."""
    if rows:
        insert_columns(session, model, {name: [row[name] for row in rows] for name in rows[0]})


def insert_columns(session: Session, model: type[Base], columns: Mapping[str, Sequence[Any]]) -> None:
    """Insert rows given column by column (every list as long as the others)."""
    names = list(columns)
    if not names or not columns[names[0]]:
        return
    connection = session.connection()
    dialect = connection.dialect
    table = Base.metadata.tables[model.__tablename__]
    quote = dialect.identifier_preparer.quote
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"VALUES ({', '.join([placeholder] * len(names))})"
    )
    converted = [_column(columns[name], table.c[name].type, dialect) for name in names]
    connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))


def update_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Update rows by primary key ``id``; every row sets the same columns."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    table = Base.metadata.tables[model.__tablename__]
    names = [name for name in rows[0] if name != "id"]
    quote = dialect.identifier_preparer.quote
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    assignments = ", ".join(f"{quote(name)} = {placeholder}" for name in names)
    sql = f"UPDATE {quote(table.name)} SET {assignments} WHERE id = {placeholder}"
    converted = [_column([row[name] for row in rows], table.c[name].type, dialect) for name in [*names, "id"]]
    connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))


def _column(values: Sequence[Any], column_type: TypeEngine[Any], dialect: Dialect) -> Sequence[Any]:
    if isinstance(column_type, AddressValue):
        # The column type's own conversion, written out: a call per value costs more than the work.
        return [None if value is None else value.to_bytes(16, "big") for value in values]
    return _convert(values, column_type._cached_bind_processor(dialect))


def _convert(values: Sequence[Any], processor: Callable[[Any], Any] | None) -> Sequence[Any]:
    """One column's values in stored form; a run of equal values is converted once (a batch
    shares its timestamps, statuses and empty tag lists)."""
    if processor is None:
        return values
    converted: list[Any] = []
    last: Any = _UNSET
    last_converted: Any = None
    for value in values:
        if value is None:
            converted.append(None)
            continue
        if value is not last and (type(value) is not type(last) or value != last):
            last, last_converted = value, processor(value)
        converted.append(last_converted)
    return converted


_UNSET = object()
