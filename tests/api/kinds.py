"""The three kinds of recorded objects that share one HTTP shape (prefixes, ranges, addresses):
where they live, how a test records one, and how it reads one back from the database.

Tests of behaviour common to the three (versions, bulk requests) run over ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ipledger.core.errors import NotFoundError
from ipledger.service.ledger import Ledger
from ipledger.service.search import get_address, get_prefix, get_range
from ipledger.store.models import Address, Base, Prefix, Range
from tests.service.factories import add_address, add_prefix, add_range

__all__ = ["KINDS", "Kind", "kind_params"]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    path: str
    model: type[Base]
    # Records one object (and what it needs around it); returns its id.
    record: Callable[[Ledger], int]
    # The stored object of this id as the service reads it (raises NotFoundError when gone).
    stored: Callable[[Ledger, int], Any]
    # Bodies of a bulk create: valid ones, each distinct.
    bulk_items: Callable[[int], list[dict[str, Any]]]
    # Records what bulk items need around them (the prefix around ranges and addresses).
    prepare: Callable[[Ledger], object]

    def exists(self, ledger: Ledger, key: int) -> bool:
        try:
            self.stored(ledger, key)
        except NotFoundError:
            return False
        return True


def _record_prefix(ledger: Ledger) -> int:
    return add_prefix(ledger, "10.0.0.0/24").id


def _record_range(ledger: Ledger) -> int:
    add_prefix(ledger, "10.0.0.0/16")
    return add_range(ledger, "10.0.0.10-10.0.0.99").id


def _prepare_parent(ledger: Ledger) -> object:
    return add_prefix(ledger, "10.0.0.0/16")


KINDS = (
    Kind(
        "prefix",
        "/prefixes",
        Prefix,
        _record_prefix,
        get_prefix,
        lambda count: [{"prefix": f"10.1.{n}.0/24"} for n in range(count)],
        lambda _ledger: None,
    ),
    Kind(
        "range",
        "/ranges",
        Range,
        _record_range,
        get_range,
        lambda count: [{"range": f"10.0.{n}.10-10.0.{n}.20"} for n in range(count)],
        _prepare_parent,
    ),
    Kind(
        "address",
        "/addresses",
        Address,
        lambda ledger: add_address(ledger, "10.0.0.7").id,
        get_address,
        lambda count: [{"address": f"10.0.0.{n + 1}"} for n in range(count)],
        _prepare_parent,
    ),
)


def kind_params() -> list[Any]:
    return [pytest.param(kind, id=kind.name) for kind in KINDS]
