"""Checks of free-form fields shared by every kind of object."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ipledger.core.errors import InvalidInputError, StaleVersionError
from ipledger.core.mac import parse_mac

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
    """A MAC address in the ledger's one form (see ``core.mac.parse_mac``); empty stays empty."""
    return parse_mac(text)


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
