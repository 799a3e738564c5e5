"""CSV import of prefixes and of addresses, in the columns a spreadsheet user would have.

The first row names the columns, in any order and case (``Prefix``, ``IP Address``, ...); only
the prefix or address column is required. Tags are separated by ``;``. One bad row stops the
import with its row number (as a spreadsheet counts them, the header being row 1) and the
reason, and nothing is written.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from ipledger.core.addresses import parse_address, parse_prefix
from ipledger.core.errors import InvalidInputError, LedgerError
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ipledger.core.vocabulary import HolderKind, Status, parse_choice
from ipledger.service.bulk import ImportSummary, NewAddress, NewPrefix, Progress, load_objects
from ipledger.service.fields import clean_mac, clean_tags, parse_time
from ipledger.service.ledger import Actor, Ledger

__all__ = ["ADDRESS_COLUMNS", "PREFIX_COLUMNS", "import_csv"]

PREFIX_COLUMNS = (
    "prefix",
    "space",
    "status",
    "role",
    "group",
    "description",
    "tags",
    "managed_by",
    "pool",
    "warning",
    "critical",
    "emergency",
)
ADDRESS_COLUMNS = (
    "address",
    "space",
    "status",
    "holder_kind",
    "holder_name",
    "dns_name",
    "mac",
    "source",
    "last_seen",
    "group",
    "description",
    "tags",
)
_ALIASES = {
    "cidr": "prefix",
    "network": "prefix",
    "subnet": "prefix",
    "ip": "address",
    "ip_address": "address",
    "vrf": "space",
    "hostname": "holder_name",
    "holder": "holder_name",
    "dns": "dns_name",
    "mac_address": "mac",
    "kind": "holder_kind",
    "is_pool": "pool",
}
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}


def import_csv(
    ledger: Ledger,
    kind: str,
    stream: TextIO,
    *,
    actor: Actor,
    space: str = "global",
    progress: Progress | None = None,
) -> ImportSummary:
    """Import prefixes or addresses (``kind``) from CSV text; rows without a space go to ``space``.

    Raises:
        InvalidInputError: an unknown column, a missing key column, or a bad row (``row N: ...``).
        ConflictError: a row collides with the ledger or another row (``row N: ...``).
    """
    parsers: dict[str, tuple[tuple[str, ...], Callable[[str, dict[str, str], str], Any]]] = {
        "prefixes": (PREFIX_COLUMNS, _prefix),
        "addresses": (ADDRESS_COLUMNS, _address),
    }
    if kind not in parsers:
        raise InvalidInputError(f"unknown CSV kind {kind!r}: expected prefixes or addresses")
    columns, parse = parsers[kind]
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise InvalidInputError("the CSV file is empty; the first row must name the columns")
    names = [_column(name) for name in header]
    unknown = [original for original, name in zip(header, names, strict=True) if name not in columns]
    if unknown:
        raise InvalidInputError(
            f"unknown column(s) {', '.join(map(repr, unknown))}; known: {', '.join(columns)}"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInputError(
            f"column(s) {', '.join(repeated)} named more than once (aliases count as the same column)"
        )
    if columns[0] not in names:
        raise InvalidInputError(f"the CSV needs a {columns[0]!r} column")
    objects = []
    # Rows as a spreadsheet numbers them (the header is row 1), not file lines: a quoted cell
    # may span several lines.
    for row_number, cells in enumerate(reader, start=2):
        where = f"row {row_number}"
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            raise InvalidInputError(f"{where}: {len(cells)} cells, but the header names {len(names)} columns")
        try:
            objects.append(
                parse(where, dict(zip(names, (cell.strip() for cell in cells), strict=True)), space)
            )
        except LedgerError as exc:
            text = str(exc)
            raise InvalidInputError(text if text.startswith(where) else f"{where}: {text}") from exc
    with ledger.transaction(actor) as tx:
        if kind == "prefixes":
            summary = load_objects(tx, prefixes=objects, progress=progress)
        else:
            summary = load_objects(tx, addresses=objects, progress=progress)
        tx.record("import", "csv", None, kind, after={"rows": len(objects)})
        return summary


def _column(name: str) -> str:
    cleaned = name.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(cleaned, cleaned)


def _tags(text: str) -> tuple[str, ...]:
    return tuple(clean_tags(text.split(";"))) if text else ()


def _flag(where: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise InvalidInputError(f"{where}: pool must be yes or no, not {text!r}")


def _percent(where: str, row: dict[str, str], key: str, default: float) -> float:
    text = row.get(key) or ""
    if not text:
        return default
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInputError(f"{where}: {key} must be a percentage, not {text!r}") from exc


def _prefix(where: str, row: dict[str, str], space: str) -> NewPrefix:
    marks = DEFAULT_THRESHOLDS
    if any(row.get(key) for key in ("warning", "critical", "emergency")):
        marks = Thresholds(
            _percent(where, row, "warning", DEFAULT_THRESHOLDS.warning),
            _percent(where, row, "critical", DEFAULT_THRESHOLDS.critical),
            _percent(where, row, "emergency", DEFAULT_THRESHOLDS.emergency),
        )
    return NewPrefix(
        where=where,
        space=row.get("space") or space,
        network=parse_prefix(row["prefix"]),
        status=parse_choice(Status, row.get("status") or "active", what="status").value,
        role=(row.get("role") or "general").lower(),
        group=row.get("group") or None,
        managed_by=row.get("managed_by") or "manual",
        description=row.get("description", ""),
        tags=_tags(row.get("tags", "")),
        is_pool=_flag(where, row.get("pool", "")),
        thresholds=marks,
    )


def _time(where: str, text: str) -> datetime | None:
    return parse_time(f"{where}: last_seen", text) if text else None


def _address(where: str, row: dict[str, str], space: str) -> NewAddress:
    return NewAddress(
        where=where,
        space=row.get("space") or space,
        address=parse_address(row["address"]),
        status=parse_choice(Status, row.get("status") or "active", what="status").value,
        holder_kind=parse_choice(HolderKind, row.get("holder_kind") or "other", what="holder kind").value,
        holder_name=row.get("holder_name", ""),
        dns_name=row.get("dns_name", ""),
        mac=clean_mac(row.get("mac", "")),
        source=row.get("source") or "import",
        last_seen=_time(where, row.get("last_seen", "")),
        group=row.get("group") or None,
        description=row.get("description", ""),
        tags=_tags(row.get("tags", "")),
    )
