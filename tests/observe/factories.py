"""Builders of observation values and inputs for the observe tests."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ipledger.observe.seen import SeenAddress

DATA = Path(__file__).resolve().parent / "data"


def utc(text: str) -> datetime:
    """A UTC time from ``2024-03-04 09:12:07``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def seen(address: str, **fields: Any) -> SeenAddress:
    """A SeenAddress of ``address`` with the given fields."""
    return SeenAddress(address=ipaddress.ip_address(address), **fields)


def data_text(name: str) -> str:
    """The text of a file of ``data/``, as `read_observations` decodes it."""
    return (DATA / name).read_text(encoding="utf-8-sig")


def line_of(text: str, marker: str) -> int:
    """The 1-based line of ``text`` on which ``marker`` first occurs."""
    return text[: text.index(marker)].count("\n") + 1
