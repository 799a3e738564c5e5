"""Factories of the API tests: many objects recorded in one transaction, for setups of some size.

Single objects come from ``tests/service/factories.py``; these build the larger inventories of
the listing, paging and allocation tests with one bulk call instead of one transaction each.
"""

from __future__ import annotations

from typing import Any

from ipledger.service.bulk import NewAddress, NewPrefix, NewRange, create_objects
from ipledger.service.ledger import Ledger
from tests.service.factories import ACTOR, ip, net, span

__all__ = ["add_all", "new_address", "new_prefix", "new_range"]

NewObject = NewPrefix | NewRange | NewAddress


def new_prefix(cidr: str, *, space: str = "global", tags: tuple[str, ...] = (), **options: Any) -> NewPrefix:
    return NewPrefix(where=cidr, space=space, network=net(cidr), tags=tags, **options)


def new_range(text: str, *, space: str = "global", tags: tuple[str, ...] = (), **options: Any) -> NewRange:
    return NewRange(where=text, space=space, span=span(text), tags=tags, **options)


def new_address(
    text: str, *, space: str = "global", tags: tuple[str, ...] = (), **options: Any
) -> NewAddress:
    return NewAddress(where=text, space=space, address=ip(text), tags=tags, **options)


def add_all(ledger: Ledger, *objects: NewObject) -> None:
    """Record ``objects`` in one transaction (all or nothing)."""
    create_objects(
        ledger,
        actor=ACTOR,
        prefixes=[item for item in objects if isinstance(item, NewPrefix)],
        ranges=[item for item in objects if isinstance(item, NewRange)],
        addresses=[item for item in objects if isinstance(item, NewAddress)],
    )
