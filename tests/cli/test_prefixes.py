"""`ipledger prefix`: create, show, list with filters, update, delete, and the one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.invocation import Cli, assert_error


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Cli:
    cli = Cli(sqlite_template, CliRunner()).copy(tmp_path_factory.mktemp("prefixes") / "seeded.db")
    cli.ok("space", "create", "lab")
    cli.ok("group", "create", "kubernetes/prod/cluster-a", "--parents")
    cli.ok("group", "create", "dc1")
    cli.ok("prefix", "create", "10.0.0.0/8", "--role", "infrastructure", "--group", "dc1")
    cli.ok("prefix", "create", "10.1.0.0/16", "--role", "pod", "--group", "kubernetes/prod", "--tag", "k8s")
    cli.ok("prefix", "update", "10.1.0.0/16", "--status", "reserved")
    cli.ok("prefix", "create", "10.1.2.0/24", "--role", "pod", "--group", "kubernetes/prod/cluster-a")
    cli.ok("prefix", "create", "172.16.0.0/30")
    cli.ok("allocate", "address", "172.16.0.0/30", "--count", "2")
    cli.ok("prefix", "create", "192.168.0.0/24", "--description", "office LAN")
    cli.ok("prefix", "create", "2001:db8::/48")
    cli.ok("prefix", "create", "10.0.0.0/8", "--space", "lab")
    return cli


@pytest.fixture
def seeded(seeded_template: Cli, tmp_path: Path) -> Cli:
    return seeded_template.copy(tmp_path / "ledger.db")


def test_prefix_create_confirms(cli: Cli) -> None:
    assert cli.ok("prefix", "create", "10.0.0.0/16") == "created prefix 10.0.0.0/16 in space global (#1)\n"


def test_prefix_create_records_every_field(cli: Cli) -> None:
    cli.ok("group", "create", "dc1")
    cli.ok(
        "prefix",
        "create",
        "2001:db8::/48",
        "--status",
        "planned",
        "--role",
        "node",
        "--group",
        "dc1",
        "--managed-by",
        "cluster-a",
        "--description",
        "DC1 v6",
        "--tag",
        "v6",
        "--tag",
        "dc1",
        "--pool",
        "--warning",
        "60",
        "--critical",
        "80",
        "--emergency",
        "90",
        "--unit",
        "56",
    )
    shown = cli.json("prefix", "show", "2001:db8::/48")["prefix"]
    assert {
        key: shown[key] for key in ("network", "status", "role", "group", "managed_by", "description")
    } == {
        "network": "2001:db8::/48",
        "status": "planned",
        "role": "node",
        "group": "dc1",
        "managed_by": "cluster-a",
        "description": "DC1 v6",
    }
    assert (shown["tags"], shown["is_pool"], shown["unit_prefixlen"]) == (["dc1", "v6"], True, 56)
    assert shown["thresholds"] == {"warning": 60.0, "critical": 80.0, "emergency": 90.0}


def test_prefix_show_gives_parents_children_and_utilization(seeded: Cli) -> None:
    text = seeded.ok("prefix", "show", "10.1.0.0/16")
    assert "prefix       10.1.0.0/16 (space global, #2)" in text
    assert "utilization  [..........]   0.4% ok" in text
    parents = text.split("parents (outermost first):\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in parents[1:]] == ["10.0.0.0/8"]
    children = text.split("children:\n")[1].splitlines()
    assert [line.split()[0] for line in children[1:]] == ["10.1.2.0/24"]


def test_prefix_show_as_json_is_machine_friendly(seeded: Cli) -> None:
    detail = seeded.json("prefix", "show", "172.16.0.0/30")
    usage = detail["prefix"]["usage"]
    assert (usage["size"], usage["usable"], usage["used"]) == (4, 2, 2)
    assert isinstance(usage["percent"], float)
    assert usage["percent"] == 100.0
    assert detail["prefix"]["level"] == "emergency"
    assert (detail["addresses"], detail["ranges"]) == (2, 0)
    assert detail["parents"] == []


def test_prefix_show_bar_fills_with_use(seeded: Cli) -> None:
    assert "[##########] 100.0% emergency" in seeded.ok("prefix", "show", "172.16.0.0/30")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            [],
            [
                "10.0.0.0/8",
                "10.1.0.0/16",
                "10.1.2.0/24",
                "172.16.0.0/30",
                "192.168.0.0/24",
                "2001:db8::/48",
                "10.0.0.0/8",
            ],
            id="all",
        ),
        pytest.param(["--space", "lab"], ["10.0.0.0/8"], id="space"),
        pytest.param(["--group", "kubernetes/prod"], ["10.1.0.0/16", "10.1.2.0/24"], id="group-tree"),
        pytest.param(["--group", "kubernetes/prod", "--no-descendants"], ["10.1.0.0/16"], id="group-only"),
        pytest.param(["--role", "pod"], ["10.1.0.0/16", "10.1.2.0/24"], id="role"),
        pytest.param(["--status", "reserved"], ["10.1.0.0/16"], id="status"),
        pytest.param(["--tag", "k8s"], ["10.1.0.0/16"], id="tag"),
        pytest.param(["--family", "6"], ["2001:db8::/48"], id="family"),
        pytest.param(
            ["--space", "global", "--contains", "10.1.2.3"],
            ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"],
            id="contains",
        ),
        pytest.param(
            ["--space", "global", "--within", "10.1.0.0/16"], ["10.1.0.0/16", "10.1.2.0/24"], id="within"
        ),
        pytest.param(["--utilization-gte", "50"], ["172.16.0.0/30"], id="utilization"),
        pytest.param(["--level", "emergency"], ["172.16.0.0/30"], id="level"),
        pytest.param(["--search", "office"], ["192.168.0.0/24"], id="search"),
        pytest.param(["--sort", "utilization", "--limit", "1"], ["172.16.0.0/30"], id="sort"),
        pytest.param(["--limit", "2", "--offset", "1"], ["10.1.0.0/16", "10.1.2.0/24"], id="page"),
    ],
)
def test_prefix_list_filters(seeded: Cli, args: list[str], expected: list[str]) -> None:
    assert [item["network"] for item in seeded.json("prefix", "list", *args)["prefixes"]] == expected


def test_prefix_list_prints_the_total(seeded: Cli) -> None:
    lines = seeded.ok("prefix", "list", "--limit", "2").splitlines()
    assert lines[0].split() == ["PREFIX", "SPACE", "STATUS", "ROLE", "GROUP", "UTILIZATION", "DESCRIPTION"]
    assert len(lines) == 4
    assert lines[-1] == "2 shown, 7 matching"
    assert seeded.json("prefix", "list", "--limit", "2")["total"] == 7


def test_prefix_list_says_when_nothing_matches(seeded: Cli) -> None:
    assert seeded.ok("prefix", "list", "--role", "service") == "no prefixes match\n0 shown, 0 matching\n"


def test_prefix_update_changes_only_the_given_fields(seeded: Cli) -> None:
    out = seeded.ok("prefix", "update", "10.1.2.0/24", "--description", "cluster-a pods", "--no-group")
    assert out == "updated prefix 10.1.2.0/24 in space global (version 2)\n"
    shown = seeded.json("prefix", "show", "10.1.2.0/24")["prefix"]
    assert (shown["description"], shown["group"], shown["role"]) == ("cluster-a pods", None, "pod")


def test_prefix_update_sets_the_thresholds(seeded: Cli) -> None:
    seeded.ok("prefix", "update", "10.1.0.0/16", "--warning", "10", "--critical", "20", "--emergency", "30")
    assert seeded.json("prefix", "show", "10.1.0.0/16")["prefix"]["thresholds"]["warning"] == 10.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], "nothing to change", id="nothing"),
        pytest.param(["--warning", "50"], "give --warning, --critical and --emergency together", id="marks"),
        pytest.param(["--group", "dc1", "--no-group"], "give --group or --no-group, not both", id="group"),
        pytest.param(["--tag", "a", "--clear-tags"], "give --tag or --clear-tags, not both", id="tags"),
    ],
)
def test_prefix_update_refuses_an_unclear_change(seeded: Cli, args: list[str], message: str) -> None:
    assert_error(seeded("prefix", "update", "10.1.0.0/16", *args), message, exit_code=2)


def test_prefix_update_refuses_a_stale_version(seeded: Cli) -> None:
    result = seeded("prefix", "update", "10.1.0.0/16", "--description", "x", "--version", "1")
    assert_error(result, "10.1.0.0/16 is at version 2, not 1; reload and retry")


def test_prefix_delete_removes_it(seeded: Cli) -> None:
    assert seeded.ok("prefix", "delete", "10.1.0.0/16") == "deleted prefix 10.1.0.0/16 from space global\n"
    assert_error(seeded("prefix", "show", "10.1.0.0/16"), "no prefix 10.1.0.0/16 in space global")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["10.0.0/24"], "'10.0.0/24' is not a valid prefix: '10.0.0' is not an address", id="malformed"
        ),
        pytest.param(
            ["10.0.0.0/33"], "'10.0.0.0/33': prefix length must be a whole number from 0 to 32", id="length"
        ),
        pytest.param(["10.0.0.0"], "'10.0.0.0': a prefix needs a length, e.g. 10.0.0.0/24", id="no-length"),
        pytest.param(
            ["10.0.0.1/24"], "10.0.0.1/24: host bits set; did you mean 10.0.0.0/24?", id="host-bits"
        ),
        pytest.param(
            ["2001:db8::1/48"],
            "2001:db8::1/48: host bits set; did you mean 2001:db8::/48?",
            id="host-bits-v6",
        ),
        pytest.param(
            ["10.9.0.0/16", "--space", "nope"], "no space named 'nope' (spaces: global, lab)", id="space"
        ),
        pytest.param(["10.9.0.0/16", "--group", "nope"], "no group 'nope'", id="group"),
        pytest.param(["10.9.0.0/16", "--role", "nope"], "unknown role 'nope': expected one of", id="role"),
        pytest.param(
            ["10.9.0.0/16", "--status", "nope"],
            "unknown status 'nope': expected one of active, reserved, planned, deprecated",
            id="status",
        ),
        pytest.param(
            ["10.9.0.0/16", "--warning", "90"],
            "thresholds 90/85/95: expected warning <= critical",
            id="marks",
        ),
        pytest.param(
            ["10.9.0.0/16", "--unit", "64"], "allocation units apply to IPv6 prefixes only", id="unit"
        ),
        pytest.param(
            ["10.1.0.0/16"],
            "10.1.0.0/16 already exists in space global (prefix #2, role pod, status reserved, "
            "group kubernetes/prod)",
            id="duplicate",
        ),
    ],
)
def test_prefix_create_refuses_bad_input_and_writes_nothing(
    seeded: Cli, args: list[str], message: str
) -> None:
    before = seeded.change_ids()
    assert_error(seeded("prefix", "create", *args), message)
    assert seeded.change_ids() == before


def test_prefix_show_of_an_unknown_prefix_is_an_error(cli: Cli) -> None:
    assert_error(cli("prefix", "show", "10.0.0.0/8"), "no prefix 10.0.0.0/8 in space global")
