"""Reading an observation file of any supported kind, told apart by its content when not named.

The kinds are ``nmap`` (XML from ``nmap -oX``), ``ip-neigh`` (text or JSON from ``ip neigh``)
and ``csv`` (a header row with an address column). Detection looks at the start of the text
only: markup is nmap's, a CSV header naming an address (or ip) column is a CSV file, and
anything else is read as ``ip neigh`` output, whose reader then names the first line it cannot
read.
"""

from __future__ import annotations

import csv
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ipledger.core.errors import InvalidInputError
from ipledger.observe.csvfile import column_name, read_seen_csv
from ipledger.observe.neigh import read_ip_neigh
from ipledger.observe.nmap import read_nmap_xml
from ipledger.observe.seen import MAX_OBSERVATION_BYTES, ObservationError, SeenAddress

__all__ = ["KINDS", "detect_kind", "read_observations"]

KINDS = ("nmap", "ip-neigh", "csv")


def read_observations(
    path: Path, *, kind: str | None = None, seen_at: datetime | None = None
) -> list[SeenAddress]:
    """The addresses seen in use that the file at ``path`` lists, one value per address.

    ``kind`` (one of `KINDS`) skips detection. ``seen_at`` (timezone-aware) is when the file's
    undated entries were seen: every ``ip neigh`` entry (by default the file's modification time)
    and the nmap hosts or CSV rows that carry no time (by default left without one).

    Raises:
        ObservationError: the file is missing or unreadable, larger than 256 MiB or not UTF-8, the
            kind is unknown, or the reader of its kind refuses its content.
        InvalidInputError: ``seen_at`` has no time zone.
    """
    name = str(path)
    if kind is not None and kind not in KINDS:
        raise ObservationError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}", path=name)
    if seen_at is not None and seen_at.utcoffset() is None:
        raise InvalidInputError(f"seen_at {seen_at.isoformat()} has no time zone", field="seen_at")
    text, modified = _read_text(path)
    kind = kind if kind is not None else detect_kind(text)
    if kind == "ip-neigh":
        return read_ip_neigh(text, path=name, seen_at=seen_at if seen_at is not None else modified)
    seen = read_nmap_xml(text, path=name) if kind == "nmap" else read_seen_csv(text, path=name)
    if seen_at is None:
        return seen
    when = seen_at.astimezone(UTC)
    return [item if item.seen_at is not None else replace(item, seen_at=when) for item in seen]


def detect_kind(text: str) -> str:
    """The kind of observation file ``text`` is, judged from its start (see the module's rules)."""
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("<"):
        return "nmap"
    first_line = start.splitlines()[0] if start else ""
    try:
        header = next(csv.reader([first_line]), [])
    except csv.Error:  # not a CSV header (a stray carriage return, say): read it as ip neigh
        header = []
    if "address" in (column_name(cell) for cell in header):
        return "csv"
    return "ip-neigh"


def _read_text(path: Path) -> tuple[str, datetime]:
    """The file's text and modification time.

    Raises:
        ObservationError: unreadable, too large or not UTF-8.
    """
    name = str(path)
    try:
        with path.open("rb") as stream:
            # Read no more than the limit, but name the whole size when it is over.
            raw = stream.read(MAX_OBSERVATION_BYTES + 1)
            status = os.fstat(stream.fileno())
    except OSError as exc:
        raise ObservationError(f"cannot read the file: {exc.strerror or exc}", path=name) from exc
    size = max(len(raw), status.st_size)
    if size > MAX_OBSERVATION_BYTES:
        raise ObservationError(
            f"{size} bytes is more than the {MAX_OBSERVATION_BYTES >> 20} MiB an observation file may hold",
            path=name,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + len(raw) - len(exc.object)  # utf-8-sig reports offsets after a BOM
        line = raw[:offset].count(b"\n") + 1
        raise ObservationError(
            f"not UTF-8 text (byte {offset} is {raw[offset]:#04x})", path=name, line=line
        ) from exc
    return text, datetime.fromtimestamp(status.st_mtime, tz=UTC)
