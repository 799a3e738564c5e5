"""Checks of free-form fields shared by every kind of object."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ipledger.core.errors import InvalidInputError

__all__ = ["clean_tags", "refuse_unknown_fields"]


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
