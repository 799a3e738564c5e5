"""Reader of addresses seen in use listed in a CSV file, such as a spreadsheet or another tool's export.

The first row names the columns, in any order and case, with spaces or dashes for underscores:
``address`` (or ``ip``, ``ip_address``), ``mac`` (or ``mac_address``), ``hostname`` (or ``host``,
``host_name``, ``name``) and ``seen_at`` (or ``seen``, ``last_seen``). Only the address column is
required, and any other column is refused, so that a misspelt one is not silently lost. Times are
ISO 8601; one without a zone is UTC. Blank lines are skipped; a bad row stops the reading with the
file, the line it starts on, the column and the reason.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from ipledger.core.addresses import parse_address
from ipledger.core.errors import InvalidInputError
from ipledger.observe.seen import ObservationError, SeenAddress, check_text_size, merge_seen, parse_mac

__all__ = ["COLUMNS", "column_name", "read_seen_csv"]

COLUMNS = ("address", "mac", "hostname", "seen_at")
_ALIASES = {
    "ip": "address",
    "ip_address": "address",
    "mac_address": "mac",
    "host": "hostname",
    "host_name": "hostname",
    "name": "hostname",
    "seen": "seen_at",
    "last_seen": "seen_at",
}

_T = TypeVar("_T")


def column_name(header: str) -> str:
    """The column a header cell names: ``"IP Address"`` is ``address``; an unknown one is returned
    cleaned (lower case, underscores)."""
    cleaned = header.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(cleaned, cleaned)


def read_seen_csv(text: str, *, path: str) -> list[SeenAddress]:
    """The addresses a CSV file lists, one value per address (``source`` is ``csv``).

    ``path`` names the input in messages. Both families; a cell may be empty except the address.

    Raises:
        ObservationError: more than 256 MiB, no header row, an unknown or repeated column, no
            address column, a row with more or fewer cells than the header, or a malformed
            address, MAC or time (naming the line and the column).
    """
    check_text_size(text, path=path)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        columns = _header(next(reader, None), path=path)
        seen = []
        last_line = reader.line_num
        for cells in reader:
            # A quoted cell may span lines: a row starts on the line after the previous row ended.
            line, last_line = last_line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                seen.append(_row(columns, cells, path=path, line=line))
    except csv.Error as exc:
        raise ObservationError(f"not valid CSV: {exc}", path=path, line=reader.line_num) from exc
    return merge_seen(seen)


def _header(cells: list[str] | None, *, path: str) -> list[str]:
    if cells is None:
        raise ObservationError("the file is empty; the first row must name the columns", path=path)
    columns = [column_name(cell) for cell in cells]
    for original, column in zip(cells, columns, strict=True):
        if column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"expected {', '.join(COLUMNS)}"
            raise ObservationError(f"unknown column {original!r}; {hint}", path=path, line=1)
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise ObservationError(
            f"column {repeated[0]} named more than once (aliases count as the same column)", path=path, line=1
        )
    if "address" not in columns:
        raise ObservationError(
            "no address column: the first row must name the columns, one of them address (or ip)",
            path=path,
            line=1,
        )
    return columns


def _row(columns: list[str], cells: list[str], *, path: str, line: int) -> SeenAddress:
    if len(cells) != len(columns):
        raise ObservationError(
            f"{len(cells)} cell{'' if len(cells) == 1 else 's'}, but the header names {len(columns)} columns",
            path=path,
            line=line,
        )
    values = dict(zip(columns, (cell.strip() for cell in cells), strict=True))
    if not values["address"]:
        raise ObservationError("no address given", path=path, line=line, field="address")
    seen_text = values.get("seen_at", "")
    return SeenAddress(
        address=_cell(parse_address, values, "address", path=path, line=line),
        mac=_cell(parse_mac, values, "mac", path=path, line=line),
        hostname=values.get("hostname", ""),
        seen_at=_cell(_parse_time, values, "seen_at", path=path, line=line) if seen_text else None,
        source="csv",
    )


def _cell(parser: Callable[[str], _T], values: dict[str, str], column: str, *, path: str, line: int) -> _T:
    """``parser`` applied to the cell of ``column`` ("" when the file has no such column)."""
    try:
        return parser(values.get(column, ""))
    except InvalidInputError as exc:
        raise ObservationError(str(exc), path=path, line=line, field=column) from exc


def _parse_time(text: str) -> datetime:
    """An ISO 8601 time in UTC; one without a zone is taken to be UTC.

    Raises:
        InvalidInputError: not an ISO 8601 date or time.
    """
    try:
        stamp = datetime.fromisoformat(text)
        # A time at the edge of the calendar may have no UTC form (0001-01-01T00:00+01:00).
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidInputError(
            f"{text!r} is not an ISO 8601 time in the years 1 to 9999 (expected e.g. 2024-05-01T10:00:00Z)",
            field="seen_at",
        ) from exc
