"""Column types: an address as a 16-byte big-endian value, and exact counts beyond 64 bits.

Both engines compare byte strings bytewise, so the fixed-width encoding makes ordering,
containment and overlap plain index range scans on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from ipledger.core.addresses import decode_value, encode_value

__all__ = ["AddressValue", "BigCount", "UTCDateTime"]


class AddressValue(TypeDecorator[int]):
    """An IPv4 or IPv6 address integer stored as 16 bytes, big-endian (the family is its own column)."""

    impl = LargeBinary(16)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> bytes | None:
        return None if value is None else encode_value(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else decode_value(bytes(value))


class BigCount(TypeDecorator[int]):
    """A non-negative integer that may exceed 64 bits (an IPv6 /0 holds 2**128 addresses)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, always handed back timezone-aware in UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ledger stores times with a zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
