"""Output: aligned tables, key-value blocks, utilization bars, and JSON for programs.

JSON is machine-friendly: CIDRs, ranges and addresses are strings, counts are integers,
percentages are floats, times are ISO 8601 strings with their zone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

import click

from ipledger.core.ranges import IPRange
from ipledger.core.utilization import Usage

__all__ = [
    "bar",
    "echo_fields",
    "echo_json",
    "echo_table",
    "text_or_dash",
    "to_json",
    "usage_text",
]

_BAR_WIDTH = 10


def to_json(value: object) -> Any:
    """A JSON-safe form of a record, a list of records, or a plain value."""
    if isinstance(value, Usage):
        return {
            **{item.name: getattr(value, item.name) for item in fields(value)},
            "used_percent": value.used_percent,
            "covered_percent": value.covered_percent,
            "percent": value.percent,
        }
    if isinstance(value, IPv4Address | IPv6Address | IPv4Network | IPv6Network | IPRange):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_json(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    return value


def echo_json(value: object) -> None:
    click.echo(json.dumps(to_json(value), indent=2, ensure_ascii=False))


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, empty: str) -> None:
    """Columns padded to their widest cell; ``empty`` is printed instead when there are no rows."""
    cells = [[str(cell) for cell in row] for row in rows]
    if not cells:
        click.echo(empty)
        return
    table = [[header.upper() for header in headers], *cells]
    widths = [max(len(row[column]) for row in table) for column in range(len(headers))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def echo_fields(pairs: Sequence[tuple[str, object]]) -> None:
    """``label  value`` lines with the values aligned."""
    width = max(len(label) for label, _ in pairs)
    for label, value in pairs:
        click.echo(f"{label.ljust(width)}  {value}".rstrip())


def bar(percent: float, *, width: int = _BAR_WIDTH) -> str:
    """``[#######...]`` for 72.4 %; only a full 100 % fills the bar."""
    filled = min(width, max(0, math.floor(percent * width / 100)))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def usage_text(usage: Usage, level: str) -> str:
    """E.g. ``[#######...]  72.4% warning``."""
    return f"{bar(usage.percent)} {usage.percent:5.1f}% {level}"


def text_or_dash(value: object) -> str:
    """A cell for an optional value: the value, the words of a tuple, or ``-`` for nothing."""
    if value is None or value == "" or value == ():
        return "-"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)
