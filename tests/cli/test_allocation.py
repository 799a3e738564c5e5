"""`ipledger allocate address|prefix` and `ipledger free`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.invocation import Cli, assert_error


@pytest.fixture
def parent(cli: Cli) -> Cli:
    cli.ok("prefix", "create", "10.0.0.0/16")
    return cli


@pytest.fixture(scope="module")
def full_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Cli:
    cli = Cli(sqlite_template, CliRunner()).copy(tmp_path_factory.mktemp("full") / "full.db")
    cli.ok("prefix", "create", "10.0.0.0/16")
    cli.ok("allocate", "prefix", "10.0.0.0/16", "--length", "24", "--count", "256")
    return cli


def test_allocate_address_takes_the_lowest_free(parent: Cli) -> None:
    parent.ok("address", "create", "10.0.0.1")
    out = parent.ok(
        "allocate", "address", "10.0.0.0/16", "--count", "2", "--holder-kind", "vm", "--holder", "web"
    )
    assert out == "allocated 2 addresses from 10.0.0.0/16 (space global):\n10.0.0.2\n10.0.0.3\n"
    shown = parent.json("address", "show", "10.0.0.2")
    assert (shown["holder_kind"], shown["holder_name"]) == ("vm", "web")


def test_allocate_address_from_a_range(parent: Cli) -> None:
    parent.ok("range", "create", "10.0.8.200-10.0.8.210")
    out = parent.ok("allocate", "address", "10.0.8.200-10.0.8.210")
    assert out == "allocated 1 address from 10.0.8.200-10.0.8.210 (space global):\n10.0.8.200\n"


def test_allocate_address_preview_records_nothing(parent: Cli) -> None:
    before = parent.change_ids()
    out = parent.ok("allocate", "address", "10.0.0.0/16", "--preview")
    assert (
        out
        == "preview, nothing recorded: would allocate 1 address from 10.0.0.0/16 (space global):\n10.0.0.1\n"
    )
    assert parent.change_ids() == before
    assert parent.json("address", "list") == []


def test_allocate_address_as_json(parent: Cli) -> None:
    taken = parent.json("allocate", "address", "10.0.0.0/16", "--preview", "--holder", "x")
    assert (taken["preview"], taken["parent"], taken["space"]) == (True, "10.0.0.0/16", "global")
    assert [(item["address"], item["holder_name"]) for item in taken["addresses"]] == [("10.0.0.1", "x")]


def test_allocate_address_when_the_range_is_full(parent: Cli) -> None:
    parent.ok("range", "create", "10.0.8.1-10.0.8.2")
    result = parent("allocate", "address", "10.0.8.1-10.0.8.2", "--count", "3")
    assert_error(
        result, "no free address left in range 10.0.8.1-10.0.8.2: 2 usable, 2 of 3 requested could be given"
    )
    assert parent.json("address", "list") == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param("first-fit", "10.0.1.0/24", id="first-fit"),
        pytest.param("best-fit", "10.0.1.0/24", id="best-fit"),
        pytest.param("last-fit", "10.0.255.0/24", id="last-fit"),
    ],
)
def test_allocate_prefix_follows_the_policy(parent: Cli, policy: str, expected: str) -> None:
    parent.ok("prefix", "create", "10.0.0.0/24")
    out = parent.ok("allocate", "prefix", "10.0.0.0/16", "--length", "24", "--policy", policy)
    assert out.splitlines()[1:] == [expected]


def test_allocate_prefix_records_the_fields(parent: Cli) -> None:
    parent.ok("group", "create", "dc1")
    parent.ok(
        "allocate",
        "prefix",
        "10.0.0.0/16",
        "--length",
        "22",
        "--count",
        "2",
        "--role",
        "node",
        "--group",
        "dc1",
        "--status",
        "reserved",
        "--description",
        "racks",
        "--tag",
        "r1",
        "--managed-by",
        "cluster-a",
    )
    listed = parent.json("prefix", "list", "--role", "node")["prefixes"]
    assert [(item["network"], item["group"], item["status"], item["managed_by"]) for item in listed] == [
        ("10.0.0.0/22", "dc1", "reserved", "cluster-a"),
        ("10.0.4.0/22", "dc1", "reserved", "cluster-a"),
    ]


def test_allocate_prefix_preview_records_nothing(parent: Cli) -> None:
    before = parent.change_ids()
    out = parent.ok("allocate", "prefix", "10.0.0.0/16", "--length", "24", "--count", "2", "--preview")
    assert out.splitlines() == [
        "preview, nothing recorded: would allocate 2 prefixes from 10.0.0.0/16 (space global):",
        "10.0.0.0/24",
        "10.0.1.0/24",
    ]
    assert parent.change_ids() == before


def test_allocate_prefix_from_a_full_parent(full_template: Cli, tmp_path: Path) -> None:
    full = full_template.copy(tmp_path / "ledger.db")
    before = full.change_ids()
    result = full("allocate", "prefix", "10.0.0.0/16", "--length", "24")
    assert_error(result, "no free /24 left in 10.0.0.0/16: 256 of 256 used")
    assert result.stderr == "error: no free /24 left in 10.0.0.0/16: 256 of 256 used\n"
    assert full.change_ids() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["10.0.0.0/16", "--length", "16"], "a /16 cannot be allocated inside 10.0.0.0/16", id="length"
        ),
        pytest.param(
            ["10.0.0.0/16", "--length", "24", "--count", "0"], "count must be from 1 to", id="count"
        ),
        pytest.param(
            ["10.9.0.0/16", "--length", "24"], "no prefix 10.9.0.0/16 in space global", id="unknown"
        ),
        pytest.param(
            ["10.0.0.1/16", "--length", "24"],
            "10.0.0.1/16: host bits set; did you mean 10.0.0.0/16?",
            id="host-bits",
        ),
        pytest.param(["10.0.0.0/16", "--length", "24", "--role", "nope"], "unknown role 'nope'", id="role"),
    ],
)
def test_allocate_prefix_refuses_bad_input(parent: Cli, args: list[str], message: str) -> None:
    before = parent.change_ids()
    assert_error(parent("allocate", "prefix", *args), message)
    assert parent.change_ids() == before


def test_allocate_prefix_needs_a_length(parent: Cli) -> None:
    assert_error(parent("allocate", "prefix", "10.0.0.0/16"), "Missing option '--length'", exit_code=2)


def test_free_lists_the_largest_blocks(parent: Cli) -> None:
    parent.ok("prefix", "create", "10.0.0.0/24")
    parent.ok("prefix", "create", "10.0.2.0/24")
    lines = parent.ok("free", "10.0.0.0/16").splitlines()
    assert lines[0] == "free in 10.0.0.0/16 (space global): 65024 addresses in 8 blocks"
    assert lines[1:4] == ["10.0.1.0/24", "10.0.3.0/24", "10.0.4.0/22"]


def test_free_pages_through_the_blocks(parent: Cli) -> None:
    parent.ok("prefix", "create", "10.0.0.0/24")
    lines = parent.ok("free", "10.0.0.0/16", "--limit", "2", "--offset", "1").splitlines()
    assert lines[1:] == ["10.0.2.0/23", "10.0.4.0/22", "showing 2 of 8 blocks from number 2"]


def test_free_as_json(parent: Cli) -> None:
    parent.ok("range", "create", "10.0.0.10-10.0.0.19")
    parent.ok("address", "create", "10.0.0.12")
    found = parent.json("free", "10.0.0.10-10.0.0.19")
    assert found == {
        "parent": "range 10.0.0.10-10.0.0.19",
        "blocks": ["10.0.0.10/31", "10.0.0.13/32", "10.0.0.14/31", "10.0.0.16/30"],
        "total_blocks": 4,
        "free_addresses": 9,
        "next_address": "10.0.0.10",
        "preview": None,
    }


def test_free_of_a_full_prefix(full_template: Cli, tmp_path: Path) -> None:
    full = full_template.copy(tmp_path / "ledger.db")
    assert full.ok("free", "10.0.0.0/16") == "free in 10.0.0.0/16 (space global): 0 addresses in 0 blocks\n"
