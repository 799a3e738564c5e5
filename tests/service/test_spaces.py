"""Spaces: created once by name, deleted only when empty."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError
from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space, delete_space, list_spaces
from tests.service.factories import ACTOR, add_address, add_prefix


def test_space_seeded_global_exists(ledger: Ledger) -> None:
    assert [space.name for space in list_spaces(ledger)] == ["global"]


def test_space_create_lists_it(ledger: Ledger) -> None:
    record = create_space(ledger, " lab ", actor=ACTOR, description="test bench")

    assert (record.name, record.description, record.version) == ("lab", "test bench", 1)
    assert ledger.space_names() == ["global", "lab"]


def test_space_create_duplicate_refused(ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)

    with pytest.raises(ConflictError, match="space lab already exists"):
        create_space(ledger, "lab", actor=ACTOR)


@pytest.mark.parametrize("name", ["", "   ", "two words", "a/b"], ids=["empty", "blank", "space", "slash"])
def test_space_create_bad_name_refused(ledger: Ledger, name: str) -> None:
    with pytest.raises(InvalidInputError, match="must be one word"):
        create_space(ledger, name, actor=ACTOR)


def test_space_delete_empty_removes_it(ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)

    deleted = delete_space(ledger, "lab", actor=ACTOR)

    assert deleted.name == "lab"
    assert ledger.space_names() == ["global"]


@pytest.mark.parametrize(
    ("fill", "word"),
    [
        (lambda ledger: add_prefix(ledger, "10.0.0.0/24", space="lab"), "prefixes"),
        (lambda ledger: add_address(ledger, "10.0.0.1", space="lab"), "addresses"),
    ],
    ids=["prefix", "address"],
)
def test_space_delete_non_empty_refused(ledger: Ledger, fill: Callable[[Ledger], object], word: str) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    fill(ledger)

    with pytest.raises(ConflictError, match=f"space lab still holds {word}"):
        delete_space(ledger, "lab", actor=ACTOR)
    assert ledger.space_names() == ["global", "lab"]


def test_space_delete_unknown_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match=r"no space named 'nowhere' \(spaces: global\)"):
        delete_space(ledger, "nowhere", actor=ACTOR)
