"""`ipledger observe`, `ipledger report stale` and `ipledger cluster schedule`, run in process.

The template ledger holds cluster prod with its pod, service, node and load-balancer networks,
synced once from a dump (`tests.service.k8s_dumps`) in which pod web-1 holds 10.244.1.2 and
service web holds 10.96.0.20 and 203.0.113.10.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.invocation import Cli, assert_error
from tests.service.k8s_dumps import node, pod, service, write_dump

PROD_NETWORKS = (
    ("10.244.0.0/16", "pod"),
    ("10.96.0.0/16", "service"),
    ("192.168.10.0/24", "node"),
    ("203.0.113.0/24", "loadbalancer"),
)
MAC = "52:54:00:00:00:01"


@pytest.fixture(scope="module")
def prod_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Cli:
    folder = tmp_path_factory.mktemp("sightings")
    cli = Cli(sqlite_template, CliRunner()).copy(folder / "prod.db")
    cli.ok("cluster", "create", "prod")
    for cidr, role in PROD_NETWORKS:
        cli.ok("prefix", "create", cidr, "--role", role, "--managed-by", "cluster:prod")
    cli.ok("prefix", "create", "192.0.2.0/24")
    objects = [
        node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"),
        pod("default", "web-1", node_name="node-a", ips=["10.244.1.2"]),
        service("default", "web", cluster_ip="10.96.0.20", ingress_ip="203.0.113.10"),
    ]
    cli.ok("cluster", "sync", "prod", "--from-dump", str(write_dump(folder / "dump", {"core.json": objects})))
    return cli


@pytest.fixture
def prod(prod_template: Cli, tmp_path: Path) -> Cli:
    return prod_template.copy(tmp_path / "ledger.db")


def scan_file(tmp_path: Path, text: str, name: str = "scan.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def words(text: str) -> str:
    return " ".join(text.split())


# -- observe -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "exit_code", "finding"),
    [
        pytest.param("10.244.1.99", 1, "error rogue-address 10.244.1.99", id="rogue-in-pod-network"),
        pytest.param("10.96.0.77", 1, "error rogue-address 10.96.0.77", id="rogue-in-service-network"),
        pytest.param("10.244.1.2", 0, "no findings", id="held-by-a-pod"),
        pytest.param("10.96.0.20", 0, "no findings", id="held-by-a-service"),
        pytest.param("192.0.2.10", 0, "no findings", id="in-an-ordinary-prefix"),
        pytest.param("198.51.100.7", 0, "warning address-in-no-prefix 198.51.100.7", id="in-no-prefix"),
    ],
)
def test_observe_exits_1_only_on_a_rogue_address(
    prod: Cli, tmp_path: Path, address: str, exit_code: int, finding: str
) -> None:
    result = prod("observe", scan_file(tmp_path, f"address\n{address}\n"))

    assert (result.exit_code, result.stderr) == (exit_code, ""), result.output
    assert result.stdout.startswith("1 address(es) seen, 0 record(s) updated\n")
    assert finding in words(result.stdout)


def test_observe_updates_the_records_it_saw(prod: Cli, tmp_path: Path) -> None:
    prod.ok("address", "create", "192.0.2.10")
    text = f"address,mac,seen_at\n192.0.2.10,{MAC},2026-11-01T12:00:00Z\n192.0.2.11,,\n"

    out = prod.ok("observe", scan_file(tmp_path, text))

    assert out.startswith("2 address(es) seen, 1 record(s) updated\n")
    shown = prod.json("address", "show", "192.0.2.10")
    assert (shown["last_seen"], shown["mac"]) == ("2026-11-01T12:00:00+00:00", MAC)


def test_observe_format_json_parses_and_still_exits_1_on_a_rogue_address(prod: Cli, tmp_path: Path) -> None:
    result = prod("observe", scan_file(tmp_path, "address\n10.244.1.99\n10.244.1.2\n"), "--format", "json")

    assert (result.exit_code, result.stderr) == (1, ""), result.output
    body = json.loads(result.stdout)
    assert (body["seen"], body["updated"]) == (2, 0)
    assert [(item["severity"], item["kind"], item["subject"]) for item in body["findings"]] == [
        ("error", "rogue-address", "10.244.1.99")
    ]


NEIGH = f"10.244.1.99 dev eth0 lladdr {MAC} REACHABLE\n"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("scan.csv", "IP Address\n10.244.1.99\n", id="csv"),
        pytest.param("neigh.txt", NEIGH, id="ip-neigh"),
        pytest.param(
            "scan.xml",
            '<?xml version="1.0"?><nmaprun start="1793534400"><host><status state="up" reason="echo-reply"/>'
            '<address addr="10.244.1.99" addrtype="ipv4"/></host></nmaprun>',
            id="nmap",
        ),
    ],
)
def test_observe_detects_the_kind_of_file(prod: Cli, tmp_path: Path, name: str, text: str) -> None:
    result = prod("observe", scan_file(tmp_path, text, name))

    assert (result.exit_code, result.stderr) == (1, ""), result.output
    assert "rogue-address 10.244.1.99" in words(result.stdout)


def test_observe_reads_the_file_as_the_kind_named(prod: Cli, tmp_path: Path) -> None:
    path = scan_file(tmp_path, NEIGH, "neigh.txt")

    assert_error(prod("observe", path, "--kind", "csv"), f"{path}, line 1")


def test_observe_of_malformed_input_prints_one_error_line_naming_the_line(prod: Cli, tmp_path: Path) -> None:
    path = scan_file(tmp_path, "address,mac\n192.0.2.10,\n192.0.2.300,\n")

    assert_error(
        prod("observe", path), f"{path}, line 3, address: '192.0.2.300' is not a valid IPv4 or IPv6 address"
    )


def test_observe_of_a_missing_file_prints_one_error_line(prod: Cli, tmp_path: Path) -> None:
    path = tmp_path / "missing.xml"

    assert_error(prod("observe", str(path)), f"{path}: cannot read the file")


def test_observe_in_an_unknown_space_prints_one_error_line(prod: Cli, tmp_path: Path) -> None:
    assert_error(
        prod("observe", scan_file(tmp_path, "address\n192.0.2.10\n"), "--space", "nowhere"), "nowhere"
    )


def test_observe_with_an_unknown_kind_is_a_usage_error(prod: Cli, tmp_path: Path) -> None:
    assert_error(
        prod("observe", scan_file(tmp_path, "address\n192.0.2.10\n"), "--kind", "arp"), "'arp'", exit_code=2
    )


# -- report stale --------------------------------------------------------------------------------


def test_report_stale_lists_records_seen_before_the_cutoff(prod: Cli) -> None:
    prod.ok("address", "create", "192.0.2.10", "--last-seen", "2020-01-01T00:00:00Z", "--holder", "db-01")
    prod.ok("address", "create", "192.0.2.11")  # recorded just now: not stale yet

    out = prod.ok("report", "stale")

    lines = out.splitlines()
    assert lines[0].startswith("not seen since ") and lines[0].endswith(" UTC:")
    assert [words(line) for line in lines[1:]] == [
        "ADDRESS SPACE HOLDER LAST SEEN",
        "192.0.2.10 global db-01 2020-01-01 00:00",
    ]


def test_report_stale_of_zero_days_lists_records_never_seen(prod: Cli) -> None:
    prod.ok("address", "create", "192.0.2.11")

    out = prod.ok("report", "stale", "--days", "0")

    assert "192.0.2.11 global - never" in words(out)


def test_report_stale_without_stale_records_says_none(prod: Cli) -> None:
    prod.ok("address", "create", "192.0.2.11")

    assert prod.ok("report", "stale").splitlines()[1:] == ["  none"]


def test_report_stale_prints_unbound_load_balancer_addresses(prod: Cli) -> None:
    prod.ok("address", "create", "203.0.113.50")
    prod.ok("address", "create", "203.0.113.10")  # held by service web at the sync

    out = prod.ok("report", "stale")

    assert out.splitlines()[-1] == (
        "warning: 203.0.113.50 is recorded in load-balancer network 203.0.113.0/24 of cluster prod, "
        "but no service held it at the last sync: release it or find its service"
    )


def test_report_stale_format_json_parses(prod: Cli) -> None:
    prod.ok("address", "create", "192.0.2.10", "--last-seen", "2020-01-01T00:00:00Z")
    prod.ok("address", "create", "203.0.113.50")

    body = prod.json("report", "stale", "--days", "7")

    assert [(item["address"], item["last_seen"]) for item in body["addresses"]] == [
        ("192.0.2.10", "2020-01-01T00:00:00+00:00")
    ]
    assert [item["subject"] for item in body["unbound"]] == ["203.0.113.50"]
    assert "cutoff" in body


def test_report_stale_of_a_space_lists_only_its_records(prod: Cli) -> None:
    prod.ok("space", "create", "lab")
    for space in ("global", "lab"):
        prod.ok("address", "create", "192.0.2.10", "--space", space, "--last-seen", "2020-01-01T00:00:00Z")

    body = prod.json("report", "stale", "--space", "lab")

    assert [(item["address"], item["space"]) for item in body["addresses"]] == [("192.0.2.10", "lab")]


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        pytest.param(("--days", "-1"), "-1", 2, id="negative-days"),
        pytest.param(("--days", "soon"), "'soon'", 2, id="days-not-a-number"),
        pytest.param(("--space", "nowhere"), "nowhere", 1, id="unknown-space"),
    ],
)
def test_report_stale_refuses_bad_options_with_one_error_line(
    prod: Cli, args: tuple[str, ...], message: str, exit_code: int
) -> None:
    assert_error(prod("report", "stale", *args), message, exit_code=exit_code)


# -- cluster schedule ----------------------------------------------------------------------------


def schedule_of(cli: Cli) -> tuple[str | None, str | None, int | None]:
    cluster = cli.json("cluster", "show", "prod")["cluster"]
    return cluster["sync_kubeconfig"], cluster["sync_context"], cluster["sync_every_minutes"]


@pytest.mark.parametrize(
    ("options", "every", "context"),
    [
        pytest.param((), 15, None, id="default-interval"),
        pytest.param(("--every", "5", "--context", "prod-admin"), 5, "prod-admin", id="interval-and-context"),
    ],
)
def test_cluster_schedule_sets_the_schedule(
    prod: Cli, options: tuple[str, ...], every: int, context: str | None
) -> None:
    out = prod.ok("cluster", "schedule", "prod", "--kubeconfig", "/etc/ipledger/prod.kubeconfig", *options)

    assert out == f"the server syncs cluster prod every {every} minutes with /etc/ipledger/prod.kubeconfig\n"
    assert schedule_of(prod) == ("/etc/ipledger/prod.kubeconfig", context, every)


def test_cluster_schedule_off_stops_the_syncs(prod: Cli) -> None:
    prod.ok("cluster", "schedule", "prod", "--kubeconfig", "/etc/ipledger/prod.kubeconfig")

    out = prod.ok("cluster", "schedule", "prod", "--off")

    assert out == "cluster prod is no longer synced by the server\n"
    assert schedule_of(prod) == (None, None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("prod",), "give --kubeconfig FILE to schedule syncs, or --off", id="neither"),
        pytest.param(
            ("prod", "--kubeconfig", "k", "--off"),
            "give --kubeconfig FILE to schedule syncs, or --off",
            id="both",
        ),
        pytest.param(("prod", "--kubeconfig", "k", "--every", "0"), "--every", id="interval-zero"),
        pytest.param(("--kubeconfig", "k"), "NAME", id="no-name"),
    ],
)
def test_cluster_schedule_misuse_is_a_usage_error(prod: Cli, args: tuple[str, ...], message: str) -> None:
    assert_error(prod("cluster", "schedule", *args), message, exit_code=2)
    assert schedule_of(prod) == (None, None, None)


def test_cluster_schedule_of_an_unknown_cluster_prints_one_error_line(prod: Cli) -> None:
    assert_error(prod("cluster", "schedule", "nope", "--kubeconfig", "k"), "nope")
