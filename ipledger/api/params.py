"""Parsing what requests carry into core values, naming the field at fault; paging; versions."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import TypeVar

from fastapi import Response

from ipledger.api.errors import FieldError
from ipledger.api.schemas import Page
from ipledger.core.addresses import IPAddress, IPNetwork, parse_address, parse_prefix
from ipledger.core.errors import InvalidInputError
from ipledger.core.ranges import IPRange, parse_range
from ipledger.service.fields import require_version
from ipledger.service.records import AddressRecord, GroupRecord, PrefixRecord, RangeRecord

__all__ = [
    "MAX_PAGE",
    "address_field",
    "check_if_match",
    "decode_cursor",
    "encode_cursor",
    "etag",
    "family_field",
    "page",
    "prefix_field",
    "range_field",
    "refuse_stale",
    "set_etag",
]

MAX_PAGE = 5000
Value = TypeVar("Value")
Item = TypeVar("Item")
Record = AddressRecord | GroupRecord | PrefixRecord | RangeRecord


def _field(name: str, parse: Callable[[str], Value], text: str) -> Value:
    try:
        return parse(text)
    except InvalidInputError as exc:
        raise FieldError(name, f"{name}: {exc}") from exc


def prefix_field(name: str, text: str) -> IPNetwork:
    return _field(name, parse_prefix, text)


def address_field(name: str, text: str) -> IPAddress:
    return _field(name, parse_address, text)


def range_field(name: str, text: str) -> IPRange:
    return _field(name, parse_range, text)


def family_field(family: int | None) -> int | None:
    if family is not None and family not in (4, 6):
        raise FieldError("family", f"family: {family} is not an IP version; use 4 or 6")
    return family


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_cursor(cursor: str | None, offset: int) -> int:
    """The offset a page starts at: from the cursor when given, else ``offset``."""
    if cursor is None:
        return offset
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        value = decoded["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise FieldError("cursor", "cursor: not a cursor this API handed out") from exc
    if not isinstance(value, int) or value < 0:
        raise FieldError("cursor", "cursor: not a cursor this API handed out")
    return value


def page(items: list[Item], *, total: int, limit: int, offset: int) -> Page[Item]:
    """A page of a listing, with the cursor of the next page when there is one."""
    following = offset + len(items)
    return Page(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=encode_cursor(following) if following < total else None,
    )


def refuse_stale(expected: int | None, current: Record, *, what: str) -> None:
    """Raise 412 (with the current object) when If-Match named an older version.

    Raises:
        StaleVersionError: ``expected`` is given and differs from the current version.
    """
    require_version(what, expected=expected, actual=current.version, current=lambda: current)


def etag(kind: str, key: int, version: int) -> str:
    return f'"{kind}-{key}-v{version}"'


def set_etag(response: Response, kind: str, key: int, version: int) -> None:
    response.headers["ETag"] = etag(kind, key, version)


def check_if_match(if_match: str | None, kind: str, key: int) -> int | None:
    """The version an If-Match header asks for (None without the header, or for ``*``).

    Raises:
        FieldError: the header is not an ETag this API gave for this object.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    text = if_match.strip().removeprefix("W/")
    prefix = f'"{kind}-{key}-v'
    if not (text.startswith(prefix) and text.endswith('"') and text[len(prefix) : -1].isdigit()):
        raise FieldError("If-Match", f"If-Match: {if_match!r} is not an ETag of this {kind}")
    return int(text[len(prefix) : -1])
