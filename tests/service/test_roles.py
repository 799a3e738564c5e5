"""Roles: the seeded defaults, and roles users add and remove while nothing uses them."""

from __future__ import annotations

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError
from ipledger.core.vocabulary import DEFAULT_ROLES
from ipledger.service.ledger import Ledger
from ipledger.service.roles import create_role, delete_role, list_roles
from tests.service.factories import ACTOR, add_prefix, add_range


def _names(ledger: Ledger) -> list[str]:
    return [name for name, _ in list_roles(ledger)]


def test_role_list_holds_seeded_defaults(ledger: Ledger) -> None:
    assert _names(ledger) == sorted(DEFAULT_ROLES)
    assert all(description for _, description in list_roles(ledger))


def test_role_create_makes_it_usable(ledger: Ledger) -> None:
    assert create_role(ledger, " Edge ", actor=ACTOR, description="edge routers") == "edge"

    assert ("edge", "edge routers") in list_roles(ledger)
    assert add_prefix(ledger, "10.0.0.0/24", role="edge").role == "edge"


def test_role_create_duplicate_refused(ledger: Ledger) -> None:
    with pytest.raises(ConflictError, match="role pod already exists"):
        create_role(ledger, "pod", actor=ACTOR)


@pytest.mark.parametrize("name", ["", "two words"], ids=["empty", "space"])
def test_role_create_bad_name_refused(ledger: Ledger, name: str) -> None:
    with pytest.raises(InvalidInputError, match="must be one word"):
        create_role(ledger, name, actor=ACTOR)


def test_role_delete_unused(ledger: Ledger) -> None:
    create_role(ledger, "edge", actor=ACTOR)

    assert delete_role(ledger, "edge", actor=ACTOR) == "edge"
    assert "edge" not in _names(ledger)


@pytest.mark.parametrize("holder", ["prefix", "range"])
def test_role_delete_in_use_refused(ledger: Ledger, holder: str) -> None:
    create_role(ledger, "edge", actor=ACTOR)
    add_prefix(ledger, "10.0.0.0/24", role="edge" if holder == "prefix" else "general")
    if holder == "range":
        add_range(ledger, "10.0.0.1-10.0.0.9", role="edge")

    with pytest.raises(ConflictError, match="role edge is still used by prefixes or ranges"):
        delete_role(ledger, "edge", actor=ACTOR)
    assert "edge" in _names(ledger)


def test_role_delete_unknown_refused(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no role 'edge'"):
        delete_role(ledger, "edge", actor=ACTOR)
