"""`ipledger whois`, `ipledger report utilization` and `ipledger check`."""

from __future__ import annotations

import sqlite3

import pytest

from tests.cli.invocation import Cli, assert_error


@pytest.fixture
def network(cli: Cli) -> Cli:
    cli.ok("space", "create", "lab")
    cli.ok("group", "create", "dc1/lb", "--parents")
    cli.ok("prefix", "create", "10.0.0.0/8", "--role", "infrastructure", "--group", "dc1")
    cli.ok("prefix", "create", "10.0.8.0/24", "--role", "loadbalancer", "--group", "dc1/lb")
    cli.ok("range", "create", "10.0.8.200-10.0.8.250", "--role", "loadbalancer", "--description", "MetalLB")
    cli.ok("address", "create", "10.0.8.201", "--holder-kind", "loadbalancer", "--holder", "ingress")
    cli.ok("prefix", "create", "10.0.0.0/8", "--space", "lab")
    return cli


def test_whois_answers_per_space_outermost_first(network: Cli) -> None:
    text = network.ok("whois", "10.0.8.201")
    global_part, lab_part = text.split("\n\n")
    rows = [line.split()[:4] for line in global_part.splitlines()[2:5]]
    assert global_part.splitlines()[0] == "10.0.8.201 in space global"
    assert rows == [
        ["prefix", "10.0.0.0/8", "infrastructure", "dc1"],
        ["prefix", "10.0.8.0/24", "loadbalancer", "dc1/lb"],
        ["range", "10.0.8.200-10.0.8.250", "loadbalancer", "-"],
    ]
    assert "holder       loadbalancer ingress" in global_part.splitlines()
    assert lab_part.splitlines()[0] == "10.0.8.201 in space lab"
    assert "address: not recorded" in lab_part


def test_whois_as_json(network: Cli) -> None:
    answers = network.json("whois", "10.0.8.201", "--space", "global")
    assert len(answers) == 1
    answer = answers[0]
    assert [item["network"] for item in answer["prefixes"]] == ["10.0.0.0/8", "10.0.8.0/24"]
    assert (answer["range"]["span"], answer["record"]["holder_name"]) == ("10.0.8.200-10.0.8.250", "ingress")


def test_whois_of_an_unknown_address(network: Cli) -> None:
    assert (
        network.ok("whois", "192.0.2.1")
        == "192.0.2.1: the ledger has no prefix, range or address record holding it\n"
    )
    assert network.json("whois", "192.0.2.1") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["10.0.8"], "'10.0.8' is not a valid IPv4 or IPv6 address", id="malformed"),
        pytest.param(["10.0.8.1", "--space", "nope"], "no space named 'nope'", id="space"),
    ],
)
def test_whois_refuses_bad_input(network: Cli, args: list[str], message: str) -> None:
    assert_error(network("whois", *args), message)


def test_report_utilization_draws_the_tree_with_bars(cli: Cli) -> None:
    cli.ok("group", "create", "k8s")
    cli.ok("prefix", "create", "10.0.0.0/16")
    cli.ok("prefix", "create", "10.0.0.0/24", "--group", "k8s", "--role", "pod")
    cli.ok("prefix", "create", "10.0.1.0/29")
    cli.ok("allocate", "address", "10.0.0.0/24", "--count", "184")
    cli.ok("allocate", "address", "10.0.1.0/29", "--count", "6")
    prefixes, groups = cli.ok("report", "utilization").split("\n\n")
    assert [line.split()[:4] for line in prefixes.splitlines()] == [
        ["PREFIX", "SPACE", "UTILIZATION", "ROLE"],
        ["10.0.0.0/16", "global", "[..........]", "0.4%"],
        ["10.0.0.0/24", "global", "[#######...]", "72.4%"],
        ["10.0.1.0/29", "global", "[##########]", "100.0%"],
    ]
    assert prefixes.splitlines()[2].startswith("  10.0.0.0/24")
    assert "[#######...]  72.4% warning" in prefixes
    assert groups.splitlines()[1].split() == ["k8s", "1", "[#######...]", "72.4%", "warning"]


def test_report_utilization_min_percent_and_json(cli: Cli) -> None:
    cli.ok("prefix", "create", "10.0.0.0/16")
    cli.ok("prefix", "create", "10.0.1.0/30")
    cli.ok("allocate", "address", "10.0.1.0/30")
    found = cli.json("report", "utilization", "--min-percent", "50")
    assert [(row["prefix"]["network"], row["depth"]) for row in found["rows"]] == [("10.0.1.0/30", 1)]
    assert found["rows"][0]["prefix"]["usage"]["percent"] == 50.0
    assert found["groups"] == []


def test_check_passes_a_consistent_ledger(network: Cli) -> None:
    assert network.ok("check") == "no findings\n0 findings, 0 errors\n"


def test_check_reports_thresholds_without_failing(cli: Cli) -> None:
    cli.ok("prefix", "create", "10.0.1.0/30")
    cli.ok("allocate", "address", "10.0.1.0/30", "--count", "2")
    lines = cli.ok("check").splitlines()
    assert lines[1].split()[:4] == ["warning", "threshold", "prefix", "10.0.1.0/30"]
    assert lines[-1] == "1 findings, 0 errors"


def _tamper(cli: Cli) -> None:
    with sqlite3.connect(cli.database) as connection:
        connection.execute("UPDATE prefixes SET used = used + 7")
    connection.close()


def test_check_fails_on_drift(network: Cli) -> None:
    _tamper(network)
    result = network("check")
    assert result.exit_code == 1
    assert "drift" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("errors")
    findings = network("check", "--format", "json")
    assert findings.exit_code == 1
    assert '"severity": "error"' in findings.stdout


def test_check_repair_rebuilds_and_passes(network: Cli) -> None:
    _tamper(network)
    assert network.ok("check", "--repair") == "repaired 2 spaces\nno findings\n0 findings, 0 errors\n"
    assert network.json("log", "--limit", "1")[0]["action"] == "repair"
