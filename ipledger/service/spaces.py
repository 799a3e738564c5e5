"""Spaces (VRFs): routing domains inside which every address is unique."""

from __future__ import annotations

from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.service.convert import names, snapshot, space_record
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import load_space
from ipledger.service.records import SpaceRecord
from ipledger.store import catalog, queries
from ipledger.store.models import Space

__all__ = ["count_space_contents", "create_space", "delete_space", "list_spaces", "update_space"]


def create_space(ledger: Ledger, name: str, *, actor: Actor, description: str = "") -> SpaceRecord:
    """Create a space.

    Raises:
        ConflictError: a space of that name exists.
        InvalidInputError: the name is empty or has spaces or slashes.
    """
    cleaned = name.strip()
    if not cleaned or any(char.isspace() or char == "/" for char in cleaned):
        raise InvalidInputError(f"space name {name!r} must be one word without slashes")
    with ledger.transaction(actor) as tx:
        found = queries.find_space(tx.session, cleaned)
        if found is not None:
            raise ConflictError(f"space {cleaned} already exists", existing=space_record(found))
        space = Space(name=cleaned, description=description, created_at=tx.now, version=1)
        tx.session.add(space)
        tx.session.flush()
        tx.record("create", "space", space.id, cleaned, after=snapshot(space, names(tx.session)))
        return space_record(space)


def delete_space(ledger: Ledger, name: str, *, actor: Actor) -> SpaceRecord:
    """Delete an empty space.

    Raises:
        ConflictError: it still holds prefixes, ranges or addresses.
    """
    with ledger.transaction(actor) as tx:
        space = load_space(tx.session, name)
        holding = catalog.what_uses_space(tx.session, space.id)
        if holding is not None:
            raise ConflictError(f"space {name} still holds {holding}; remove them first")
        record = space_record(space)
        tx.record("delete", "space", space.id, name, before=snapshot(space, names(tx.session)))
        tx.session.delete(space)
        return record


def list_spaces(ledger: Ledger) -> list[SpaceRecord]:
    with ledger.reading() as session:
        return [space_record(space) for space in catalog.list_spaces(session)]


def update_space(ledger: Ledger, name: str, *, actor: Actor, description: str) -> SpaceRecord:
    """Change the description of a space (its name is how everything refers to it, so it stays)."""
    with ledger.transaction(actor) as tx:
        space = load_space(tx.session, name)
        lookup = names(tx.session)
        before = snapshot(space, lookup)
        space.description = description
        space.version += 1
        tx.session.flush()
        tx.record("update", "space", space.id, name, before=before, after=snapshot(space, lookup))
        return space_record(space)


def count_space_contents(ledger: Ledger) -> dict[str, tuple[int, int]]:
    """How many prefixes and addresses each space holds, by space name."""
    with ledger.reading() as session:
        counts = catalog.count_by_space(session)
        return {space.name: counts.get(space.id, (0, 0)) for space in catalog.list_spaces(session)}
