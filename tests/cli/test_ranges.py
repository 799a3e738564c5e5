"""`ipledger range`: create, list, update, delete."""

from __future__ import annotations

import pytest

from tests.cli.invocation import Cli, assert_error


@pytest.fixture
def pool(cli: Cli) -> Cli:
    cli.ok("prefix", "create", "10.0.8.0/24")
    cli.ok("range", "create", "10.0.8.200-10.0.8.250", "--role", "loadbalancer", "--description", "MetalLB")
    return cli


def test_range_create_confirms(cli: Cli) -> None:
    cli.ok("prefix", "create", "10.0.8.0/24")
    assert (
        cli.ok("range", "create", "10.0.8.10-10.0.8.20")
        == "created range 10.0.8.10-10.0.8.20 in space global (#1)\n"
    )


def test_range_list_shows_use_and_size(pool: Cli) -> None:
    pool.ok("address", "create", "10.0.8.201")
    lines = pool.ok("range", "list").splitlines()
    assert lines[0].split() == ["RANGE", "SPACE", "STATUS", "ROLE", "GROUP", "USED", "DESCRIPTION"]
    assert lines[1].split() == [
        "10.0.8.200-10.0.8.250",
        "global",
        "active",
        "loadbalancer",
        "-",
        "1",
        "of",
        "51",
        "MetalLB",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], ["10.0.8.200-10.0.8.250", "2001:db8::10-2001:db8::20"], id="all"),
        pytest.param(["--within", "10.0.0.0/16"], ["10.0.8.200-10.0.8.250"], id="within"),
        pytest.param(["--limit", "1", "--offset", "1"], ["2001:db8::10-2001:db8::20"], id="page"),
        pytest.param(["--space", "global", "--within", "10.0.9.0/24"], [], id="none"),
    ],
)
def test_range_list_filters(pool: Cli, args: list[str], expected: list[str]) -> None:
    pool.ok("prefix", "create", "2001:db8::/64")
    pool.ok("range", "create", "2001:db8::10-2001:db8::20")
    ranges = pool.json("range", "list", *args)
    assert [item["span"] for item in ranges] == expected


def test_range_update_changes_only_the_given_fields(pool: Cli) -> None:
    out = pool.ok("range", "update", "10.0.8.200-10.0.8.250", "--status", "reserved", "--tag", "metallb")
    assert out == "updated range 10.0.8.200-10.0.8.250 in space global (version 2)\n"
    item = pool.json("range", "list")[0]
    assert (item["status"], item["tags"], item["role"], item["description"]) == (
        "reserved",
        ["metallb"],
        "loadbalancer",
        "MetalLB",
    )


def test_range_delete_removes_it(pool: Cli) -> None:
    assert (
        pool.ok("range", "delete", "10.0.8.200-10.0.8.250")
        == "deleted range 10.0.8.200-10.0.8.250 from space global\n"
    )
    assert pool.ok("range", "list") == "no ranges match\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["10.0.8.20-10.0.8.10"], "range 10.0.8.20-10.0.8.10: start is after end", id="reversed"),
        pytest.param(
            ["10.0.8.10-2001:db8::1"], "10.0.8.10 is IPv4 but 2001:db8::1 is IPv6", id="mixed-family"
        ),
        pytest.param(["10.0.8.10"], "'10.0.8.10': a range is written start-end", id="no-dash"),
        pytest.param(["10.0.8.x-10.0.8.9"], "'10.0.8.x' is not a valid IPv4 or IPv6 address", id="malformed"),
        pytest.param(
            ["10.0.9.1-10.0.9.9"],
            "range 10.0.9.1-10.0.9.9 is not inside any prefix of space global",
            id="outside",
        ),
        pytest.param(["10.0.8.240-10.0.8.254"], "overlaps range 10.0.8.200-10.0.8.250", id="overlap"),
        pytest.param(["10.0.8.1-10.0.8.9", "--role", "nope"], "unknown role 'nope'", id="role"),
    ],
)
def test_range_create_refuses_bad_input_and_writes_nothing(pool: Cli, args: list[str], message: str) -> None:
    before = pool.change_ids()
    assert_error(pool("range", "create", *args), message)
    assert pool.change_ids() == before


def test_range_delete_of_an_unknown_range_is_an_error(pool: Cli) -> None:
    assert_error(pool("range", "delete", "10.0.8.1-10.0.8.2"), "no range 10.0.8.1-10.0.8.2 in space global")
