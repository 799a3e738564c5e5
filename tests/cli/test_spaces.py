"""`ipledger space` and `ipledger role`: create, list and delete."""

from __future__ import annotations

import pytest

from tests.cli.invocation import Cli, assert_error


def test_space_create_lists_it(cli: Cli) -> None:
    assert cli.ok("space", "create", "lab", "--description", "Lab VRF") == "created space lab\n"
    table = cli.ok("space", "list").splitlines()
    assert table[0].split() == ["SPACE", "DESCRIPTION"]
    assert [line.split()[0] for line in table[1:]] == ["global", "lab"]
    assert "Lab VRF" in table[2]


def test_space_list_as_json(cli: Cli) -> None:
    cli.ok("space", "create", "lab")
    spaces = cli.json("space", "list")
    assert [(space["name"], space["version"]) for space in spaces] == [("global", 1), ("lab", 1)]


def test_space_delete_removes_it(cli: Cli) -> None:
    cli.ok("space", "create", "lab")
    assert cli.ok("space", "delete", "lab") == "deleted space lab\n"
    assert [space["name"] for space in cli.json("space", "list")] == ["global"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["space", "create", "global"], "space global already exists", id="duplicate"),
        pytest.param(
            ["space", "create", "a b"], "space name 'a b' must be one word without slashes", id="name"
        ),
        pytest.param(["space", "delete", "nope"], "no space named 'nope' (spaces: global)", id="unknown"),
    ],
)
def test_space_refuses_bad_requests(cli: Cli, args: list[str], message: str) -> None:
    assert_error(cli(*args), message)


def test_space_delete_refuses_a_space_in_use(cli: Cli) -> None:
    cli.ok("space", "create", "lab")
    cli.ok("prefix", "create", "10.0.0.0/8", "--space", "lab")
    assert_error(cli("space", "delete", "lab"), "space lab still holds prefixes; remove them first")


def test_role_list_shows_the_defaults(cli: Cli) -> None:
    names = [role["name"] for role in cli.json("role", "list")]
    assert {"pod", "service", "node", "loadbalancer", "general"} <= set(names)


def test_role_create_and_delete(cli: Cli) -> None:
    assert cli.ok("role", "create", "Storage", "--description", "iSCSI") == "created role storage\n"
    assert any(line.split()[:2] == ["storage", "iSCSI"] for line in cli.ok("role", "list").splitlines())
    assert cli.ok("role", "delete", "storage") == "deleted role storage\n"
    assert "storage" not in [role["name"] for role in cli.json("role", "list")]


def test_role_delete_refuses_a_role_in_use(cli: Cli) -> None:
    cli.ok("role", "create", "storage")
    cli.ok("prefix", "create", "10.0.0.0/24", "--role", "storage")
    assert_error(cli("role", "delete", "storage"), "role storage is still used by prefixes or ranges")
