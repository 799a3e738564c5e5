"""`ipledger address`: create, show, list, update, delete."""

from __future__ import annotations

import pytest

from tests.cli.invocation import Cli, assert_error


@pytest.fixture
def hosts(cli: Cli) -> Cli:
    cli.ok("group", "create", "dc1")
    cli.ok("prefix", "create", "10.0.0.0/24")
    cli.ok(
        "address",
        "create",
        "10.0.0.10",
        "--holder-kind",
        "server",
        "--holder",
        "db-01",
        "--dns",
        "db-01.dc1.example.net",
        "--mac",
        "52-54-00-12-34-56",
        "--last-seen",
        "2024-05-01T12:00:00Z",
        "--group",
        "dc1",
        "--tag",
        "pci",
    )
    cli.ok("address", "create", "10.0.0.11", "--holder-kind", "vm", "--holder", "web-01")
    cli.ok("address", "create", "2001:db8::5", "--holder", "web-02")
    return cli


def test_address_create_confirms(cli: Cli) -> None:
    assert cli.ok("address", "create", "192.0.2.1") == "created address 192.0.2.1 in space global (#1)\n"


def test_address_show_gives_every_field(hosts: Cli) -> None:
    text = hosts.ok("address", "show", "10.0.0.10")
    for line in (
        "address      10.0.0.10 (space global, #1)",
        "holder       server db-01",
        "dns          db-01.dc1.example.net",
        "mac          52:54:00:12:34:56",
        "last seen    2024-05-01T12:00:00+00:00",
        "group        dc1",
        "tags         pci",
    ):
        assert line in text.splitlines()


def test_address_show_as_json(hosts: Cli) -> None:
    shown = hosts.json("address", "show", "10.0.0.10")
    assert (shown["address"], shown["holder_kind"], shown["last_seen"]) == (
        "10.0.0.10",
        "server",
        "2024-05-01T12:00:00+00:00",
    )


def test_address_create_takes_a_time_without_zone_as_utc(cli: Cli) -> None:
    cli.ok("address", "create", "192.0.2.1", "--last-seen", "2024-05-01T12:00:00")
    assert cli.json("address", "show", "192.0.2.1")["last_seen"] == "2024-05-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], ["10.0.0.10", "10.0.0.11", "2001:db8::5"], id="all"),
        pytest.param(["--within", "10.0.0.0/24"], ["10.0.0.10", "10.0.0.11"], id="within"),
        pytest.param(["--holder", "web"], ["10.0.0.11", "2001:db8::5"], id="holder"),
        pytest.param(["--holder", "dc1.example"], ["10.0.0.10"], id="dns"),
        pytest.param(["--limit", "1", "--offset", "2"], ["2001:db8::5"], id="page"),
    ],
)
def test_address_list_filters(hosts: Cli, args: list[str], expected: list[str]) -> None:
    assert [item["address"] for item in hosts.json("address", "list", *args)] == expected


def test_address_list_table(hosts: Cli) -> None:
    lines = hosts.ok("address", "list", "--holder", "web-01").splitlines()
    assert lines[0].split() == [
        "ADDRESS",
        "SPACE",
        "STATUS",
        "HOLDER",
        "DNS",
        "MAC",
        "SOURCE",
        "LAST",
        "SEEN",
        "GROUP",
    ]
    assert lines[1].split() == ["10.0.0.11", "global", "active", "vm", "web-01", "-", "-", "manual", "-", "-"]


def test_address_update_changes_only_the_given_fields(hosts: Cli) -> None:
    out = hosts.ok("address", "update", "10.0.0.10", "--holder", "db-02", "--dns", "", "--no-group")
    assert out == "updated address 10.0.0.10 in space global (version 2)\n"
    shown = hosts.json("address", "show", "10.0.0.10")
    assert (shown["holder_name"], shown["dns_name"], shown["group"], shown["mac"]) == (
        "db-02",
        "",
        None,
        "52:54:00:12:34:56",
    )


def test_address_delete_frees_it(hosts: Cli) -> None:
    assert hosts.ok("address", "delete", "10.0.0.10") == "deleted address 10.0.0.10 from space global\n"
    assert_error(hosts("address", "show", "10.0.0.10"), "no address 10.0.0.10 in space global")


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        pytest.param(["10.0.0.300"], "'10.0.0.300' is not a valid IPv4 or IPv6 address", 1, id="malformed"),
        pytest.param(
            ["10.0.0.0/24"], "'10.0.0.0/24': expected a single address, not a prefix", 1, id="prefix"
        ),
        pytest.param(
            ["10.0.0.10"],
            "10.0.0.10 is already recorded in space global (address #1, held by server db-01)",
            1,
            id="duplicate",
        ),
        pytest.param(["10.0.0.0"], "10.0.0.0 is the network address of 10.0.0.0/24", 1, id="network"),
        pytest.param(
            ["10.0.0.12", "--holder-kind", "robot"], "unknown holder kind 'robot'", 1, id="holder-kind"
        ),
        pytest.param(["10.0.0.12", "--mac", "zz"], "'zz' is not a MAC address", 1, id="mac"),
        pytest.param(["10.0.0.12", "--space", "nope"], "no space named 'nope'", 1, id="space"),
        pytest.param(["10.0.0.12", "--last-seen", "noon"], "'noon' is not an ISO 8601 time", 2, id="time"),
    ],
)
def test_address_create_refuses_bad_input_and_writes_nothing(
    hosts: Cli, args: list[str], message: str, exit_code: int
) -> None:
    before = hosts.change_ids()
    assert_error(hosts("address", "create", *args), message, exit_code=exit_code)
    assert hosts.change_ids() == before
