"""`ipledger plan`: review, apply or discard the plans `cluster plan`, `grow` and `decommission` save."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.invocation import Cli, assert_error

POOLS = ("--pod-pool", "10.0.0.0/8", "--service-pool", "172.16.0.0/12", "--node-pool", "192.168.0.0/16")
# What `cluster plan prod --nodes 100` proposes in POOLS, in the order of the plan.
PROPOSED = [
    ("cluster prod", "-", "-"),
    ("10.0.0.0/16", "pod", "active"),
    ("10.1.0.0/16", "expansion-reserve", "reserved"),
    ("172.16.0.0/20", "service", "active"),
    ("172.16.16.0/20", "expansion-reserve", "reserved"),
    ("192.168.0.0/24", "node", "active"),
    ("192.168.1.0/24", "expansion-reserve", "reserved"),
]
DECIDED = "only a proposed plan can be applied or discarded"


@pytest.fixture(scope="module")
def planned_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Cli:
    """The pools recorded and plan 1, for cluster prod, proposed."""
    cli = Cli(sqlite_template, CliRunner()).copy(tmp_path_factory.mktemp("plans") / "planned.db")
    for pool in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"):
        cli.ok("prefix", "create", pool)
    cli.ok("cluster", "plan", "prod", "--nodes", "100", *POOLS)
    return cli


@pytest.fixture
def planned(planned_template: Cli, tmp_path: Path) -> Cli:
    return planned_template.copy(tmp_path / "ledger.db")


def section(text: str, title: str) -> list[str]:
    """The lines of a section of `plan show` (after its title, up to the blank line)."""
    return text.split(f"\n{title}\n")[1].split("\n\n")[0].splitlines()


def managed_prefixes(cli: Cli) -> dict[str, tuple[str, str]]:
    prefixes = cli.json("prefix", "list")["prefixes"]
    return {
        item["network"]: (item["role"], item["status"])
        for item in prefixes
        if item["managed_by"] == "cluster:prod"
    }


def cells(rows: list[str]) -> list[tuple[str, ...]]:
    """A table's rows cut into cells at the columns of its header (cells may hold spaces)."""
    starts = [rows[0].index(name) for name in rows[0].split()]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    return [tuple(row[start:end].strip() for start, end in bounds) for row in rows]


def words(text: str) -> str:
    return " ".join(text.split())


# show


def test_plan_show_gives_the_plan_as_cluster_plan_printed_it(cli: Cli) -> None:
    printed = cli.ok("cluster", "plan", "prod", "--nodes", "100", *POOLS)
    assert cli.ok("plan", "show", "1") == printed


def test_plan_show_heads_the_plan(planned: Cli) -> None:
    head = planned.ok("plan", "show", "1").split("\n\n")[0].splitlines()
    assert [line.split(None, 1) for line in head[:4]] == [
        ["plan", "1 (proposed)"],
        ["kind", "create-cluster"],
        ["cluster", "prod"],
        ["summary", "create cluster prod: pod 10.0.0.0/16, service 172.16.0.0/20, node 192.168.0.0/24"],
    ]
    assert head[4].endswith("UTC by tester@cli")


def test_plan_show_lists_the_proposed_changes(planned: Cli) -> None:
    rows = cells(section(planned.ok("plan", "show", "1"), "Proposed changes:"))
    assert rows[0] == ("ACTION", "WHAT", "ROLE", "STATUS", "WHERE")
    assert [(what, role, status) for _, what, role, status, _ in rows[1:]] == PROPOSED
    assert {action for action, *_ in rows[1:]} == {"create"}
    pools = ["10.0.0.0/8"] * 2 + ["172.16.0.0/12"] * 2 + ["192.168.0.0/16"] * 2
    assert [where for *_, where in rows[1:]] == ["-", *(f"in pool {pool}" for pool in pools)]


def test_plan_show_passes_every_check(planned: Cli) -> None:
    rows = section(planned.ok("plan", "show", "1"), "Checks:")
    assert [row.split()[0] for row in rows[1:]] == ["ok"] * 5
    assert "IPv4 capacity room for 256 nodes; 200 needed (expected nodes x growth), headroom 56" in words(
        "\n".join(rows)
    )


def test_plan_show_ends_with_how_to_apply_it(planned: Cli) -> None:
    assert planned.ok("plan", "show", "1").endswith(
        "\nApply with `ipledger plan apply 1`, or `ipledger plan discard 1`.\n"
    )


def test_plan_show_as_json_is_machine_friendly(planned: Cli) -> None:
    plan = planned.json("plan", "show", "1")
    assert set(plan) == {
        "id",
        "kind",
        "cluster",
        "status",
        "summary",
        "body",
        "created_at",
        "created_by",
        "decided_at",
        "decided_by",
        "version",
    }
    assert (plan["id"], plan["status"], plan["created_by"], plan["decided_at"]) == (
        1,
        "proposed",
        "tester@cli",
        None,
    )
    assert set(plan["body"]) == {"inputs", "changes", "checks", "capacity"}
    assert set(plan["body"]["inputs"]) == {
        "cluster",
        "pools",
        "load_balancer_addresses",
        "node_subnet_prefixlen_v6",
        "notes",
    }
    assert plan["body"]["inputs"]["pools"] == {
        "pod": ["10.0.0.0/8"],
        "service": ["172.16.0.0/12"],
        "node": ["192.168.0.0/16"],
    }
    assert [change.get("prefix", "cluster prod") for change in plan["body"]["changes"]] == [
        what for what, _, _ in PROPOSED
    ]
    assert set(plan["body"]["checks"][0]) == {"check", "ok", "severity", "detail"}
    assert plan["body"]["capacity"]["IPv4"]["headroom_nodes"] == 56


def test_plan_show_of_an_unknown_plan_is_an_error(planned: Cli) -> None:
    assert_error(planned("plan", "show", "9"), "no plan with id 9")


# apply


def test_plan_apply_says_what_it_did(planned: Cli) -> None:
    assert planned.ok("plan", "apply", "1").splitlines() == [
        "created cluster prod",
        "created pod 10.0.0.0/16 (active)",
        "created expansion-reserve 10.1.0.0/16 (reserved)",
        "created service 172.16.0.0/20 (active)",
        "created expansion-reserve 172.16.16.0/20 (reserved)",
        "created node 192.168.0.0/24 (active)",
        "created expansion-reserve 192.168.1.0/24 (reserved)",
        "applied plan 1: create cluster prod: pod 10.0.0.0/16, service 172.16.0.0/20, node 192.168.0.0/24",
    ]


def test_plan_apply_creates_exactly_the_proposed_networks(planned: Cli) -> None:
    proposed = {
        change["prefix"]: (change["role"], change["status"])
        for change in planned.json("plan", "show", "1")["body"]["changes"]
        if change["kind"] == "prefix"
    }
    planned.ok("plan", "apply", "1")
    assert managed_prefixes(planned) == proposed
    shown = planned.json("cluster", "show", "prod")
    assert {item["network"]: (item["role"], item["status"]) for item in shown["prefixes"]} == proposed
    assert (shown["cluster"]["status"], shown["cluster"]["expected_nodes"]) == ("active", 100)


def test_plan_apply_marks_the_plan_applied(planned: Cli) -> None:
    planned.ok("plan", "apply", "1")
    text = planned.ok("plan", "show", "1")
    assert text.startswith("plan     1 (applied by tester@cli at ")
    assert "Apply with" not in text
    plan = planned.json("plan", "show", "1")
    assert (plan["status"], plan["decided_by"], plan["version"]) == ("applied", "tester@cli", 2)


def test_plan_apply_is_audited_with_each_change(planned: Cli) -> None:
    planned.ok("plan", "apply", "1")
    assert [entry["action"] for entry in planned.json("log", "--kind", "plan")] == ["apply", "create"]
    assert len(planned.json("log", "--kind", "prefix")) == 3 + 6
    assert [entry["action"] for entry in planned.json("log", "--kind", "cluster")] == ["create"]


@pytest.mark.parametrize(
    ("first", "second", "decided"),
    [
        pytest.param("apply", "apply", "applied", id="apply-twice"),
        pytest.param("apply", "discard", "applied", id="discard-applied"),
        pytest.param("discard", "apply", "discarded", id="apply-discarded"),
        pytest.param("discard", "discard", "discarded", id="discard-twice"),
    ],
)
def test_plan_decided_once_refuses_a_second_decision(
    planned: Cli, first: str, second: str, decided: str
) -> None:
    planned.ok("plan", first, "1")
    before = planned.change_ids()
    result = planned("plan", second, "1")
    assert_error(result, f"plan 1 was {decided} by tester@cli at ")
    assert DECIDED in result.stderr
    assert "Traceback" not in result.stderr
    assert planned.change_ids() == before


@pytest.mark.parametrize("command", ["apply", "discard"])
def test_plan_decision_on_an_unknown_plan_is_an_error(planned: Cli, command: str) -> None:
    assert_error(planned("plan", command, "9"), "no plan with id 9")


@pytest.mark.parametrize(
    ("args", "in_the_way"),
    [
        pytest.param(
            ["prefix", "create", "10.0.0.0/24"],
            "prefix 10.0.0.0/24 (general, manual) was recorded inside it",
            id="prefix",
        ),
        pytest.param(
            ["range", "create", "172.16.0.10-172.16.0.20"],
            "range 172.16.0.10-172.16.0.20 (general, manual) was recorded in it",
            id="range",
        ),
        pytest.param(
            ["address", "create", "192.168.1.7"], "address 192.168.1.7 was recorded in it", id="address"
        ),
    ],
)
def test_plan_apply_refuses_when_a_block_is_no_longer_free(
    planned: Cli, args: list[str], in_the_way: str
) -> None:
    planned.ok(*args)
    before = planned.change_ids()
    result = planned("plan", "apply", "1")
    assert_error(result, "plan 1 cannot be applied, nothing was changed: ")
    assert f"is no longer free in space global: {in_the_way}" in result.stderr
    assert planned.change_ids() == before
    assert planned.json("plan", "show", "1")["status"] == "proposed"
    assert planned.json("cluster", "list") == []


def test_plan_apply_refuses_a_plan_that_failed_a_check(cli: Cli) -> None:
    docker = ("--pod-pool", "10.0.0.0/8", "--service-pool", "172.17.0.0/16", "--node-pool", "192.168.0.0/16")
    text = cli.ok("cluster", "plan", "prod", *docker)
    assert [row.split()[:2] for row in section(text, "Checks:") if row.startswith("FAILED")] == [
        ["FAILED", "overlaps-special-range"]
    ]
    result = cli("plan", "apply", "1")
    assert_error(result, "plan 1 failed 1 check(s) when it was made (prod: service 172.17.0.0/20: ")
    assert result.stderr.rstrip().endswith("discard it and plan again")
    assert cli.json("cluster", "list") == []


def test_plan_apply_refuses_a_second_plan_of_one_cluster(planned: Cli) -> None:
    other = (
        "--pod-pool",
        "10.128.0.0/9",
        "--service-pool",
        "172.20.0.0/14",
        "--node-pool",
        "192.168.128.0/17",
    )
    planned.ok("cluster", "plan", "prod", *other)
    planned.ok("plan", "apply", "1")
    assert_error(
        planned("plan", "apply", "2"),
        "plan 2 cannot be applied, nothing was changed: cluster prod already exists (status active)",
    )
    assert set(managed_prefixes(planned)) == {what for what, _, _ in PROPOSED[1:]}


# discard


def test_plan_discard_keeps_it_readable_and_changes_nothing(planned: Cli) -> None:
    before = planned.json("prefix", "list")
    assert planned.ok("plan", "discard", "1") == "discarded plan 1\n"
    assert planned.ok("plan", "show", "1").startswith("plan     1 (discarded by tester@cli at ")
    assert planned.json("prefix", "list") == before
    assert planned.json("cluster", "list") == []


# list


@pytest.fixture
def several(planned: Cli) -> Cli:
    """Plan 1 (prod) applied, plan 2 (other) discarded, plan 3 (growing prod) proposed."""
    planned.ok("plan", "apply", "1")
    planned.ok("cluster", "plan", "other", *POOLS)
    planned.ok("plan", "discard", "2")
    planned.ok("cluster", "grow", "prod")
    return planned


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], [3, 2, 1], id="all-newest-first"),
        pytest.param(["--status", "proposed"], [3], id="proposed"),
        pytest.param(["--status", "applied"], [1], id="applied"),
        pytest.param(["--status", "discarded"], [2], id="discarded"),
        pytest.param(["--cluster", "prod"], [3, 1], id="cluster"),
        pytest.param(["--cluster", "other", "--status", "applied"], [], id="both"),
    ],
)
def test_plan_list_filters(several: Cli, args: list[str], expected: list[int]) -> None:
    assert [plan["id"] for plan in several.json("plan", "list", *args)] == expected


def test_plan_list_gives_status_kind_and_summary(several: Cli) -> None:
    lines = several.ok("plan", "list").splitlines()
    assert lines[0].split() == ["ID", "STATUS", "KIND", "CLUSTER", "CREATED", "BY", "SUMMARY"]
    assert [line.split()[:4] for line in lines[1:]] == [
        ["3", "proposed", "grow-cluster", "prod"],
        ["2", "discarded", "create-cluster", "other"],
        ["1", "applied", "create-cluster", "prod"],
    ]
    assert lines[1].endswith("grow cluster prod: pod 10.0.0.0/16 to 10.0.0.0/15 (its reserve 10.1.0.0/16)")


def test_plan_list_says_when_there_is_none(cli: Cli) -> None:
    assert cli.ok("plan", "list") == "no plans\n"


def test_plan_list_refuses_an_unknown_status(cli: Cli) -> None:
    assert_error(cli("plan", "list", "--status", "nope"), "Invalid value for '--status'", exit_code=2)


# help


@pytest.mark.parametrize(
    ("command", "phrase"),
    [
        pytest.param("", "Plans: proposed changes", id="group"),
        pytest.param("show", "A plan: its changes, checks and capacity working", id="show"),
        pytest.param("list", "The newest plans first", id="list"),
        pytest.param(
            "apply", "Carry out a proposed plan: all of it in one transaction, or nothing", id="apply"
        ),
        pytest.param("discard", "Set a proposed plan aside", id="discard"),
    ],
)
def test_plan_help_says_what_it_does(cli: Cli, command: str, phrase: str) -> None:
    args = ["plan", *command.split(), "--help"]
    result = cli(*args)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: ipledger {' '.join(args[:-1])} ")
    assert phrase in words(result.stdout)
