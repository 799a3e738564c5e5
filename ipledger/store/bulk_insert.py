"""Inserting many rows at once with the engine's own executemany.

SQLAlchemy's generic statement path costs tens of microseconds per row, which at a hundred
thousand rows is most of an import. This path converts each value with the column type's own
bind processor (so the stored form is exactly what the ORM would store) and hands the batch to
the driver in one executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from ipledger.store.models import Base

__all__ = ["insert_rows"]


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into the model's table in the session's transaction."""
    if not rows:
        return
    table = Base.metadata.tables[model.__tablename__]
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0].keys())
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type._cached_bind_processor(dialect) for name in names
    ]
    quote = dialect.identifier_preparer.quote
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"VALUES ({', '.join([placeholder] * len(names))})"
    )
    converted = [_convert(rows, name, processor) for name, processor in zip(names, processors, strict=True)]
    connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))


def _convert(
    rows: Sequence[Mapping[str, Any]], name: str, processor: Callable[[Any], Any] | None
) -> list[Any]:
    """One column's values in stored form; a run of equal values is converted once (a batch
    shares its timestamps, statuses and empty tag lists)."""
    values = [row[name] for row in rows]
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
