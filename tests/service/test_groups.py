"""Groups: a tree named by paths; moves and renames carry the subtree, deletes need an empty group."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError, StaleVersionError
from ipledger.service.groups import (
    GroupNode,
    create_group,
    delete_group,
    group_tree,
    list_groups,
    move_group,
    rename_group,
    update_group,
)
from ipledger.service.ledger import Ledger
from tests.service.factories import ACTOR, add_address, add_group, add_prefix, add_range, prefix_of


def _paths(ledger: Ledger, under: str | None = None) -> list[str]:
    return [group.path for group in list_groups(ledger, under=under)]


def _shape(nodes: list[GroupNode] | tuple[GroupNode, ...]) -> list[tuple[str, list[object]]]:
    return [(node.group.name, _shape(node.children)) for node in nodes]


def test_group_create_with_parents_creates_ancestors(ledger: Ledger) -> None:
    record = create_group(ledger, "k8s/prod/eu-west", actor=ACTOR, parents=True, owner="platform")

    assert (record.path, record.name, record.parent_path, record.owner) == (
        "k8s/prod/eu-west",
        "eu-west",
        "k8s/prod",
        "platform",
    )
    assert _paths(ledger) == ["k8s", "k8s/prod", "k8s/prod/eu-west"]


def test_group_create_under_existing_parent(ledger: Ledger) -> None:
    add_group(ledger, "k8s")

    record = create_group(ledger, "k8s/dev", actor=ACTOR)

    assert record.parent_path == "k8s"
    assert _paths(ledger) == ["k8s", "k8s/dev"]


def test_group_create_missing_parent_refused(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no group 'k8s/prod'"):
        create_group(ledger, "k8s/prod/eu-west", actor=ACTOR)
    assert _paths(ledger) == []


def test_group_create_duplicate_refused(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")

    with pytest.raises(ConflictError, match="group k8s/prod already exists"):
        create_group(ledger, "k8s/prod", actor=ACTOR)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("/k8s/prod/", "k8s/prod"), (" k8s / prod ", "k8s/prod")],
    ids=["slashes", "spaces"],
)
def test_group_create_normalises_path(ledger: Ledger, given: str, stored: str) -> None:
    assert add_group(ledger, given).path == stored


@pytest.mark.parametrize("path", ["", "/", "k8s//prod"], ids=["empty", "root", "empty-part"])
def test_group_create_bad_path_refused(ledger: Ledger, path: str) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        create_group(ledger, path, actor=ACTOR, parents=True)


def test_group_update_changes_fields(ledger: Ledger) -> None:
    add_group(ledger, "k8s")

    record = update_group(
        ledger,
        "k8s",
        actor=ACTOR,
        expected_version=1,
        changes={
            "description": "clusters",
            "owner": "platform",
            "environment": "prod",
            "tags": ["b", "a", "b"],
        },
    )

    assert (record.description, record.owner, record.environment, record.tags, record.version) == (
        "clusters",
        "platform",
        "prod",
        ("a", "b"),
        2,
    )
    assert list_groups(ledger) == [record]


def test_group_update_stale_version_refused(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    update_group(ledger, "k8s", actor=ACTOR, changes={"owner": "platform"})

    with pytest.raises(StaleVersionError, match="k8s is at version 2, not 1") as caught:
        update_group(ledger, "k8s", actor=ACTOR, expected_version=1, changes={"owner": "network"})
    assert caught.value.current.owner == "platform"


def test_group_update_unknown_field_refused(ledger: Ledger) -> None:
    add_group(ledger, "k8s")

    with pytest.raises(InvalidInputError, match="unknown group field"):
        update_group(ledger, "k8s", actor=ACTOR, changes={"path": "x"})


def test_group_rename_carries_subtree(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod/eu-west")
    add_group(ledger, "k8s/prodx")

    record = rename_group(ledger, "k8s/prod", actor=ACTOR, new_name="production")

    assert (record.path, record.name) == ("k8s/production", "production")
    assert _paths(ledger) == ["k8s", "k8s/production", "k8s/production/eu-west", "k8s/prodx"]


def test_group_move_carries_subtree(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod/eu-west/cluster-a")
    add_group(ledger, "archive")

    record = move_group(ledger, "k8s/prod", actor=ACTOR, new_parent="archive")

    assert (record.path, record.parent_path) == ("archive/prod", "archive")
    assert _paths(ledger) == [
        "archive",
        "archive/prod",
        "archive/prod/eu-west",
        "archive/prod/eu-west/cluster-a",
        "k8s",
    ]
    assert list_groups(ledger, under="archive/prod/eu-west")[1].parent_path == "archive/prod/eu-west"


def test_group_move_to_top(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod/eu-west")

    record = move_group(ledger, "k8s/prod", actor=ACTOR, new_parent=None)

    assert (record.path, record.parent_path) == ("prod", None)
    assert _paths(ledger) == ["k8s", "prod", "prod/eu-west"]


def test_group_move_keeps_what_belongs_to_it(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")
    add_group(ledger, "archive")
    add_prefix(ledger, "10.0.0.0/24", group="k8s/prod")

    move_group(ledger, "k8s/prod", actor=ACTOR, new_parent="archive")

    assert prefix_of(ledger, "10.0.0.0/24").group == "archive/prod"


@pytest.mark.parametrize("target", ["k8s/prod", "k8s/prod/eu-west"], ids=["itself", "descendant"])
def test_group_move_into_itself_refused(ledger: Ledger, target: str) -> None:
    add_group(ledger, "k8s/prod/eu-west")

    with pytest.raises(InvalidInputError, match=f"cannot move group k8s/prod into itself \\({target}\\)"):
        move_group(ledger, "k8s/prod", actor=ACTOR, new_parent=target)
    assert _paths(ledger) == ["k8s", "k8s/prod", "k8s/prod/eu-west"]


@pytest.mark.parametrize(
    "change",
    [
        lambda ledger: move_group(ledger, "k8s/prod", actor=ACTOR, new_parent="archive"),
        lambda ledger: rename_group(ledger, "k8s/prod", actor=ACTOR, new_name="dev"),
    ],
    ids=["move", "rename"],
)
def test_group_repath_onto_existing_refused(ledger: Ledger, change: Callable[[Ledger], object]) -> None:
    add_group(ledger, "k8s/prod")
    add_group(ledger, "k8s/dev")
    add_group(ledger, "archive/prod")

    with pytest.raises(ConflictError, match="already exists"):
        change(ledger)
    assert _paths(ledger) == ["archive", "archive/prod", "k8s", "k8s/dev", "k8s/prod"]


@pytest.mark.parametrize("name", ["", " ", "a/b"], ids=["empty", "blank", "slash"])
def test_group_rename_bad_name_refused(ledger: Ledger, name: str) -> None:
    add_group(ledger, "k8s")

    with pytest.raises(InvalidInputError, match="without slashes"):
        rename_group(ledger, "k8s", actor=ACTOR, new_name=name)


def test_group_delete_empty(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")

    assert delete_group(ledger, "k8s/prod", actor=ACTOR).path == "k8s/prod"
    assert _paths(ledger) == ["k8s"]


def test_group_delete_with_children_refused(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod/eu-west")

    with pytest.raises(ConflictError, match=r"group k8s is not empty: it has child groups \(k8s/prod\)"):
        delete_group(ledger, "k8s", actor=ACTOR)


@pytest.mark.parametrize(
    ("fill", "word"),
    [
        (lambda ledger: add_prefix(ledger, "10.0.0.0/24", group="k8s"), "prefixes"),
        (
            lambda ledger: (
                add_prefix(ledger, "10.0.0.0/24"),
                add_range(ledger, "10.0.0.1-10.0.0.9", group="k8s"),
            ),
            "ranges",
        ),
        (lambda ledger: add_address(ledger, "10.0.0.1", group="k8s"), "addresses"),
    ],
    ids=["prefix", "range", "address"],
)
def test_group_delete_holding_objects_refused(
    ledger: Ledger, fill: Callable[[Ledger], object], word: str
) -> None:
    add_group(ledger, "k8s")
    fill(ledger)

    with pytest.raises(
        ConflictError, match=f"group k8s is not empty: {word} belong to it; move or delete them"
    ):
        delete_group(ledger, "k8s", actor=ACTOR)
    assert _paths(ledger) == ["k8s"]


def test_group_delete_unknown_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no group 'k8s'"):
        delete_group(ledger, "k8s", actor=ACTOR)


def test_group_list_under_keeps_subtree_only(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")
    add_group(ledger, "k8s-legacy/prod")
    add_group(ledger, "k8s_x")

    assert _paths(ledger, under="k8s") == ["k8s", "k8s/prod"]


def test_group_tree_nests_children_in_name_order(ledger: Ledger) -> None:
    for path in ["k8s/prod/eu-west", "k8s/dev", "net/dc1", "k8s/prod/us-east"]:
        add_group(ledger, path)

    assert _shape(group_tree(ledger)) == [
        ("k8s", [("dev", []), ("prod", [("eu-west", []), ("us-east", [])])]),
        ("net", [("dc1", [])]),
    ]
