"""`ipledger group`: the ownership tree."""

from __future__ import annotations

import pytest

from tests.cli.invocation import Cli, assert_error


@pytest.fixture
def tree(cli: Cli) -> Cli:
    cli.ok("group", "create", "kubernetes/prod/cluster-a", "--parents", "--owner", "platform")
    cli.ok("group", "create", "kubernetes/prod/cluster-b")
    cli.ok("group", "create", "kubernetes-lab", "--environment", "lab", "--tag", "b", "--tag", "a")
    return cli


def test_group_create_needs_its_parent(cli: Cli) -> None:
    assert_error(cli("group", "create", "dc1/servers"), "no group 'dc1'")
    assert cli.ok("group", "create", "dc1/servers", "-p") == "created group dc1/servers\n"


def test_group_list_indents_the_tree(tree: Cli) -> None:
    lines = tree.ok("group", "list").splitlines()
    width = lines[0].index("OWNER")
    assert [line[:width].rstrip() for line in lines] == [
        "GROUP",
        "kubernetes",
        "  prod",
        "    cluster-a",
        "    cluster-b",
        "kubernetes-lab",
    ]
    assert "platform" in lines[3]
    assert lines[5].split() == ["kubernetes-lab", "-", "lab", "a,b", "-"]


def test_group_list_under_shows_a_subtree(tree: Cli) -> None:
    lines = tree.ok("group", "list", "--under", "kubernetes/prod").splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["kubernetes/prod", "cluster-a", "cluster-b"]


def test_group_list_as_json(tree: Cli) -> None:
    groups = tree.json("group", "list")
    assert [group["path"] for group in groups][:2] == ["kubernetes", "kubernetes/prod"]
    assert groups[-1]["tags"] == ["a", "b"]


def test_group_show_names_its_children(tree: Cli) -> None:
    text = tree.ok("group", "show", "kubernetes/prod")
    assert "children     kubernetes/prod/cluster-a,kubernetes/prod/cluster-b" in text
    shown = tree.json("group", "show", "kubernetes")
    assert (shown["path"], shown["children"], shown["descendants"]) == ("kubernetes", ["kubernetes/prod"], 3)


def test_group_update_changes_only_the_given_fields(tree: Cli) -> None:
    out = tree.ok("group", "update", "kubernetes/prod/cluster-a", "--description", "EU", "--tag", "pci")
    assert out == "updated group kubernetes/prod/cluster-a (version 2)\n"
    shown = tree.json("group", "show", "kubernetes/prod/cluster-a")
    assert (shown["description"], shown["owner"], shown["tags"]) == ("EU", "platform", ["pci"])


def test_group_update_clears_tags(tree: Cli) -> None:
    tree.ok("group", "update", "kubernetes-lab", "--clear-tags")
    assert tree.json("group", "show", "kubernetes-lab")["tags"] == []


def test_group_update_refuses_a_stale_version(tree: Cli) -> None:
    tree.ok("group", "update", "kubernetes", "--owner", "x")
    assert_error(
        tree("group", "update", "kubernetes", "--owner", "y", "--version", "1"), "not 1; reload and retry"
    )


def test_group_rename_moves_the_subtree(tree: Cli) -> None:
    assert (
        tree.ok("group", "rename", "kubernetes/prod", "production")
        == "renamed group to kubernetes/production\n"
    )
    paths = [group["path"] for group in tree.json("group", "list", "--under", "kubernetes")]
    assert paths == [
        "kubernetes",
        "kubernetes/production",
        "kubernetes/production/cluster-a",
        "kubernetes/production/cluster-b",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["kubernetes-lab"], "kubernetes-lab/cluster-a", id="new-parent"),
        pytest.param(["--top"], "cluster-a", id="top"),
    ],
)
def test_group_move_puts_it_under_another_parent(tree: Cli, args: list[str], expected: str) -> None:
    assert tree.ok("group", "move", "kubernetes/prod/cluster-a", *args) == f"moved group to {expected}\n"
    assert expected in [group["path"] for group in tree.json("group", "list")]


@pytest.mark.parametrize(
    "args", [pytest.param([], id="neither"), pytest.param(["kubernetes-lab", "--top"], id="both")]
)
def test_group_move_needs_exactly_one_target(tree: Cli, args: list[str]) -> None:
    assert_error(
        tree("group", "move", "kubernetes/prod", *args), "give either NEW_PARENT or --top", exit_code=2
    )


def test_group_move_refuses_its_own_subtree(tree: Cli) -> None:
    assert_error(
        tree("group", "move", "kubernetes", "kubernetes/prod"), "cannot move group kubernetes into itself"
    )


def test_group_delete_removes_an_empty_group(tree: Cli) -> None:
    assert tree.ok("group", "delete", "kubernetes-lab") == "deleted group kubernetes-lab\n"
    assert_error(tree("group", "show", "kubernetes-lab"), "no group 'kubernetes-lab'")


def test_group_delete_refuses_a_group_with_children(tree: Cli) -> None:
    assert_error(tree("group", "delete", "kubernetes"), "group kubernetes is not empty: it has child groups")


def test_group_create_refuses_a_duplicate(tree: Cli) -> None:
    before = tree.change_ids()
    assert_error(tree("group", "create", "kubernetes/prod"), "group kubernetes/prod already exists")
    assert tree.change_ids() == before
