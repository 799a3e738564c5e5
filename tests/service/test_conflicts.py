"""Conflicts: a refused change carries the object it collides with, readable after the rollback."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ipledger.core.errors import ConflictError
from ipledger.service.ledger import Ledger
from tests.service.factories import add_address, add_prefix, add_range


def _prefix_then_range(ledger: Ledger) -> int:
    add_prefix(ledger, "10.0.0.0/24")
    return add_range(ledger, "10.0.0.10-10.0.0.20").id


def _prefixes(ledger: Ledger) -> int:
    add_prefix(ledger, "10.0.0.0/24")
    return add_prefix(ledger, "10.0.0.16/28").id


@pytest.mark.parametrize(
    ("setup", "clash"),
    [
        (
            lambda ledger: add_prefix(ledger, "10.0.0.0/24").id,
            lambda ledger: add_prefix(ledger, "10.0.0.0/24"),
        ),
        (_prefix_then_range, lambda ledger: add_range(ledger, "10.0.0.15-10.0.0.30")),
        (_prefix_then_range, lambda ledger: add_prefix(ledger, "10.0.0.8/29")),
        (_prefixes, lambda ledger: add_range(ledger, "10.0.0.10-10.0.0.40")),
        (lambda ledger: add_address(ledger, "10.0.0.1").id, lambda ledger: add_address(ledger, "10.0.0.1")),
    ],
    ids=[
        "duplicate-prefix",
        "overlapping-range",
        "prefix-cuts-range",
        "range-cuts-prefix",
        "duplicate-address",
    ],
)
def test_conflict_error_carries_existing_object(
    ledger: Ledger, setup: Callable[[Ledger], int], clash: Callable[[Ledger], object]
) -> None:
    existing_id = setup(ledger)

    with pytest.raises(ConflictError) as caught:
        clash(ledger)

    assert caught.value.existing is not None
    assert caught.value.existing.id == existing_id
