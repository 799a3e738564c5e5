"""Roles: the purposes a prefix or range serves (pod, service, node, ...); a list users can extend."""

from __future__ import annotations

from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError
from ipledger.service.ledger import Actor, Ledger
from ipledger.store import catalog
from ipledger.store.models import Role

__all__ = ["create_role", "delete_role", "list_roles"]


def list_roles(ledger: Ledger) -> list[tuple[str, str]]:
    with ledger.reading() as session:
        return [(role.name, role.description) for role in catalog.list_roles(session)]


def create_role(ledger: Ledger, name: str, *, actor: Actor, description: str = "") -> str:
    cleaned = name.strip().lower()
    if not cleaned or any(char.isspace() for char in cleaned):
        raise InvalidInputError(f"role name {name!r} must be one word")
    with ledger.transaction(actor) as tx:
        found = catalog.find_role(tx.session, cleaned)
        if found is not None:
            existing = {"name": found.name, "description": found.description}
            raise ConflictError(f"role {cleaned} already exists", existing=existing)
        tx.session.add(Role(name=cleaned, description=description))
        tx.record("create", "role", None, cleaned, after={"name": cleaned, "description": description})
        return cleaned


def delete_role(ledger: Ledger, name: str, *, actor: Actor) -> str:
    with ledger.transaction(actor) as tx:
        if catalog.find_role(tx.session, name) is None:
            raise NotFoundError(f"no role {name!r}")
        if catalog.role_in_use(tx.session, name):
            raise ConflictError(f"role {name} is still used by prefixes or ranges")
        role = catalog.find_role(tx.session, name)
        tx.record(
            "delete",
            "role",
            None,
            name,
            before={"name": name, "description": role.description if role else ""},
        )
        tx.session.delete(role)
        return name
