"""Deleting many objects in one request, all or nothing.

Each object is removed through the same steps as a single delete (free space returned,
counters adjusted, audit entry written), all inside one transaction: one missing id or one
refused delete rolls back the whole request.
"""

from __future__ import annotations

from collections.abc import Sequence

from ipledger.core.addresses import address_from_int, network_from_ints
from ipledger.core.errors import InvalidInputError, LedgerError, NotFoundError
from ipledger.core.ranges import IPRange
from ipledger.service.addresses import remove_address
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.prefixes import remove_prefix
from ipledger.service.ranges import remove_range
from ipledger.store.database import Session
from ipledger.store.models import Address, Prefix, Range, Space

__all__ = ["MAX_BULK", "delete_addresses", "delete_prefixes", "delete_ranges"]

MAX_BULK = 10_000


def _check_size(ids: Sequence[int]) -> None:
    if not 1 <= len(ids) <= MAX_BULK:
        raise InvalidInputError(f"a bulk request takes 1 to {MAX_BULK} objects, not {len(ids)}")
    if len(set(ids)) != len(ids):
        raise InvalidInputError("a bulk delete names an id more than once")


def _space(session: Session, space_id: int) -> Space:
    found = session.get(Space, space_id)
    assert found is not None
    return found


def _located(index: int, exc: LedgerError) -> LedgerError:
    """The same error, its message prefixed with the position in the request."""
    located = type(exc)(f"items[{index}]: {exc}")
    located.__dict__.update(exc.__dict__)
    return located


def delete_prefixes(ledger: Ledger, ids: Sequence[int], *, actor: Actor) -> int:
    """Delete the prefixes with these ids, longest first so that nested ones go cleanly."""
    _check_size(ids)
    with ledger.transaction(actor) as tx:
        rows = []
        for index, key in enumerate(ids):
            row = tx.session.get(Prefix, key)
            if row is None:
                raise NotFoundError(f"items[{index}]: no prefix with id {key}")
            rows.append(
                (
                    index,
                    row.prefixlen,
                    row.space_id,
                    network_from_ints(row.first, row.prefixlen, version=row.family),
                )
            )
        for index, _, space_id, network in sorted(rows, key=lambda item: -item[1]):
            try:
                remove_prefix(tx, _space(tx.session, space_id), network)
            except LedgerError as exc:
                raise _located(index, exc) from exc
        return len(ids)


def delete_ranges(ledger: Ledger, ids: Sequence[int], *, actor: Actor) -> int:
    _check_size(ids)
    with ledger.transaction(actor) as tx:
        for index, key in enumerate(ids):
            row = tx.session.get(Range, key)
            if row is None:
                raise NotFoundError(f"items[{index}]: no range with id {key}")
            remove_range(tx, _space(tx.session, row.space_id), IPRange(row.family, row.first, row.last))
        return len(ids)


def delete_addresses(ledger: Ledger, ids: Sequence[int], *, actor: Actor) -> int:
    _check_size(ids)
    with ledger.transaction(actor) as tx:
        for index, key in enumerate(ids):
            row = tx.session.get(Address, key)
            if row is None:
                raise NotFoundError(f"items[{index}]: no address with id {key}")
            remove_address(
                tx, _space(tx.session, row.space_id), address_from_int(row.value, version=row.family)
            )
        return len(ids)
