"""Checks of free-form fields shared by every kind of object."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ipledger.core.errors import InvalidInputError, StaleVersionError

__all__ = ["clean_mac", "clean_tags", "parse_time", "refuse_unknown_fields", "require_version"]


def clean_tags(tags: Any) -> list[str]:
    """Tags as a sorted list of distinct words.

    Raises:
        InvalidInputError: not a list of strings (a bare string is refused, not split into letters).
    """
    if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
        raise InvalidInputError("tags must be a list of words")
    return sorted({tag.strip() for tag in tags if tag.strip()})


def refuse_unknown_fields(kind: str, given: Iterable[str], known: Iterable[str]) -> None:
    unknown = set(given) - set(known)
    if unknown:
        raise InvalidInputError(
            f"unknown {kind} field(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})"
        )


def clean_mac(text: str) -> str:
    """A MAC address as six lower-case pairs joined by colons; empty stays empty.

    Accepted: ``52:54:00:12:34:56``, ``52-54-00-12-34-56``, ``5254.0012.3456`` and ``525400123456``.

    Raises:
        InvalidInputError: anything else.
    """
    if not text:
        return ""
    lowered = text.strip().lower()
    groups = (
        lowered.replace("-", ":").split(":") if ("-" in lowered or ":" in lowered) else lowered.split(".")
    )
    sizes = {1: [12], 3: [4, 4, 4], 6: [2] * 6}.get(len(groups))
    digits = "".join(groups)
    if sizes != [len(group) for group in groups] or any(char not in "0123456789abcdef" for char in digits):
        raise InvalidInputError(
            f"{text!r} is not a MAC address (expected e.g. 52:54:00:12:34:56)", field="mac"
        )
    return ":".join(digits[index : index + 2] for index in range(0, 12, 2))


def parse_time(where: str, value: Any) -> datetime | None:
    """An ISO 8601 time with a zone; None stays None."""
    if value is None or value == "":
        return None
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInputError(f"{where}: {value!r} is not an ISO 8601 time") from exc
    if stamp.tzinfo is None:
        raise InvalidInputError(f"{where}: {value!r} has no time zone (add Z or +00:00)")
    return stamp


def require_version(what: str, *, expected: int | None, actual: int, current: Callable[[], object]) -> None:
    """Refuse a change based on an outdated version, handing back the current object.

    Raises:
        StaleVersionError: ``expected`` is given and is not ``actual``.
    """
    if expected is not None and expected != actual:
        raise StaleVersionError(
            f"{what} is at version {actual}, not {expected}; reload and retry", current=current()
        )
