"""Every stranded and drift rule end to end: a dump on disk, the real readers, the real sync, the
stored findings; on SQLite and PostgreSQL.

The clusters are the cases of `tests.service.rule_dumps`, one per rule (and per consistency rule
of a Calico block), each written in a real ``kubectl get`` format. Each test asserts what the sync
stored: every finding's kind, subject, address, pool or block, claimed owner and release command,
and nothing else. `test_sync_rules_cover_every_rule_kind_the_code_defines` reads the rule modules
and fails when a rule kind has no case here. Around the rules: the grace period, idempotent
re-syncs, the live path through the real Kubernetes client, the CLI, and a sync whose database
write fails half-way (a trigger refuses an insert), which must leave the previous sync whole.
"""

from __future__ import annotations

import ast
import json
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

import ipledger
from ipledger.cli import main
from ipledger.core.addresses import address_from_int
from ipledger.core.errors import LedgerError
from ipledger.kube.dump import read_dump
from ipledger.service.addresses import list_addresses
from ipledger.service.cluster_report import ClusterReport, cluster_report
from ipledger.service.ledger import Ledger
from ipledger.service.reports import whois
from ipledger.service.sync import LiveSource, SyncResult, observed_holders, sync_from_dump, sync_live
from ipledger.store.models import ClusterFinding, ObservedAddress, ObservedBlock, UsageSample
from tests.cli.invocation import ACTOR as CLI_ACTOR
from tests.kube.fake_apiserver import KINDS, FakeAPIServer, write_kubeconfig
from tests.service.factories import ACTOR, add_cluster, add_prefix, add_range, count_rows, ip, stored_state
from tests.service.k8s_dumps import (
    NOW,
    CalicoEntry,
    calico_block,
    calico_handle,
    cilium_node,
    ip_address,
    node,
    pod,
    whereabouts_reservation,
)
from tests.service.rule_dumps import (
    CASES,
    CILIUM_NETWORKS,
    FORMS,
    NODE_A_ENTRIES,
    PROD_NETWORKS,
    Files,
    Row,
    RuleCase,
    added,
    clean_objects,
    dual_stack_objects,
    removed,
    replaced,
    write_case,
)

LATER = NOW + timedelta(hours=1)
BY_ID = {case.id: case for case in CASES}
EACH_CASE = pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
PACKAGE = Path(ipledger.__file__).parent
# The modules that define the stranded rules and the drift rules (core), by the name of the
# value each rule builds; the service layer adds drift findings of its own (the overlap check).
RULE_MODULES = ("stranded", "calico_ipam", "calico_affinity", "calico_blocks", "whereabouts_ipam", "drift")


# -- helpers -----------------------------------------------------------------------------------


def add_prod(ledger: Ledger, case: RuleCase) -> None:
    add_cluster(ledger, "prod")
    for cidr, role in case.networks:
        add_prefix(ledger, cidr, role=role, managed_by="cluster:prod")
    for cidr, managed_by in case.others:
        add_prefix(ledger, cidr, managed_by=managed_by)
    for span, role in case.ranges:
        add_range(ledger, span, role=role, managed_by="cluster:prod")


def sync(ledger: Ledger, path: Path, *, now: datetime = NOW, **options: Any) -> SyncResult:
    return sync_from_dump(ledger, "prod", path, actor=ACTOR, now=now, **options)


def rows(report: ClusterReport) -> set[Row]:
    found = [
        (item.severity, item.kind, item.subject, item.address, item.pool, item.owner, item.release)
        for item in report.findings
    ]
    assert len(found) == len(set(found)), "a finding is stored twice"
    return set(found)


def assert_stored(ledger: Ledger, case: RuleCase, result: SyncResult) -> None:
    """The sync stored exactly the case's findings, counted them, and each message says what it must."""
    report = cluster_report(ledger, "prod")
    assert report.last_sync is not None and report.last_sync.status == "ok", report.last_sync
    assert rows(report) == case.expected, [row[6] for row in sorted(rows(report) - case.expected)]
    assert result.findings == dict(Counter(row[1] for row in case.expected))
    assert report.total_findings == len(case.expected)
    for item in report.findings:
        if item.release:  # a stranded finding ends with the command that releases (or repairs) it
            assert item.message.endswith(f": {item.release}"), item.message
    messages = "\n".join(item.message for item in report.findings)
    for phrase in case.says:
        assert phrase in messages, messages


def observed_rows(ledger: Ledger) -> list[tuple[str, str, str, str, str, datetime]]:
    with ledger.reading() as session:
        stored = session.scalars(select(ObservedAddress)).all()
        return sorted(
            (
                str(address_from_int(row.value, version=row.family)),
                row.kind,
                row.holder,
                row.uid,
                row.node,
                row.since,
            )
            for row in stored
        )


def everything_seen(ledger: Ledger) -> tuple[Any, ...]:
    """The findings with their messages, usage per block, holders and node records of the last sync."""
    report = cluster_report(ledger, "prod")
    findings = sorted(
        (item.kind, item.subject, item.message, item.owner, item.release) for item in report.findings
    )
    records = sorted(
        (str(item.address), item.holder_kind, item.holder_name, item.source)
        for item in list_addresses(ledger)
    )
    return findings, report.finding_counts, report.blocks, observed_rows(ledger), records


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The Kubernetes client takes proxies from the environment; the fake server is on 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


# -- every rule kind has a case ----------------------------------------------------------------


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_rule_table(assign: ast.Assign) -> bool:
    return any(isinstance(target, ast.Name) and target.id.endswith("_RULES") for target in assign.targets)


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _kinds_in(path: Path) -> set[str]:
    """The finding kinds a module builds: ``Stranded(rule=...)`` (a literal, or a lookup in a
    ``*_RULES`` table, whose values count), and ``Finding(severity, "kind", ...)``."""
    found: list[str | None] = []
    for item in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(item, ast.Assign) and isinstance(item.value, ast.Dict) and _is_rule_table(item):
            found.extend(_text(value) for value in item.value.values if value is not None)
        if not isinstance(item, ast.Call):
            continue
        if _call_name(item) == "Stranded":
            [rule] = [keyword.value for keyword in item.keywords if keyword.arg == "rule"]
            if _text(rule) is None:  # any other expression would hide a kind from this test
                assert isinstance(rule, ast.Subscript) and isinstance(rule.value, ast.Name), ast.unparse(rule)
                assert rule.value.id.endswith("_RULES"), ast.unparse(rule)
            found.append(_text(rule))
        elif _call_name(item) == "Finding" and len(item.args) > 1:
            found.append(_text(item.args[1]))
    return {kind for kind in found if kind is not None}


def defined_kinds() -> set[str]:
    kinds = set().union(*(_kinds_in(PACKAGE / "core" / f"{name}.py") for name in RULE_MODULES))
    for path in sorted((PACKAGE / "service").glob("*.py")):
        kinds.update(kind for kind in _kinds_in(path) if kind.startswith("drift-"))
    return kinds


def test_sync_rules_cover_every_rule_kind_the_code_defines() -> None:
    defined = defined_kinds()
    exercised = set().union(*(case.kinds for case in CASES))

    assert len(defined) >= 17, sorted(defined)  # the scan itself still finds the rules
    assert sorted(defined - exercised) == [], "rule kinds without an end-to-end case in rule_dumps.CASES"
    assert sorted(exercised - defined) == [], "cases of kinds the code does not define"
    assert sorted({case.form for case in CASES}) == sorted(FORMS)  # every dump format is read


def test_sync_rules_release_commands_are_valid_shell() -> None:
    # An operator pastes them into a shell; bash -n parses without running anything.
    commands = sorted({row[6] for case in CASES for row in case.expected if row[6]})
    assert len(commands) > 20
    for command in commands:
        checked = subprocess.run(["bash", "-n", "-c", command], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, (command, checked.stderr)


# -- each rule, through a dump -----------------------------------------------------------------


@EACH_CASE
def test_sync_rules_store_each_finding_with_its_release_command(
    ledger: Ledger, tmp_path: Path, case: RuleCase
) -> None:
    add_prod(ledger, case)

    result = sync(ledger, write_case(tmp_path, case.objects(), case.form))

    assert_stored(ledger, case, result)


@EACH_CASE
def test_sync_rules_resync_of_the_same_dump_stores_the_same_rows(
    ledger: Ledger, tmp_path: Path, case: RuleCase
) -> None:
    add_prod(ledger, case)
    path = write_case(tmp_path, case.objects(), case.form)
    sync(ledger, path)
    before = everything_seen(ledger)
    counts = {model: count_rows(ledger, model) for model in (ClusterFinding, ObservedAddress, ObservedBlock)}

    second = sync(ledger, path, now=LATER)

    assert everything_seen(ledger) == before
    assert {model: count_rows(ledger, model) for model in counts} == counts
    assert count_rows(ledger, ClusterFinding) == len(case.expected)
    # Each sync adds a sample of every block and one of the whole cluster's pod IPs.
    assert count_rows(ledger, UsageSample) == 2 * (counts[ObservedBlock] + 1)
    good = cluster_report(ledger, "prod").last_good_sync
    assert good is not None and good.id == second.sync_id


# The cases that break the clean cluster without documenting anything else for it.
REPAIRABLE = [
    case
    for case in CASES
    if case.expected and case.networks == PROD_NETWORKS and not case.others and not case.ranges
]


@pytest.mark.parametrize("case", REPAIRABLE, ids=[case.id for case in REPAIRABLE])
def test_sync_rules_findings_clear_once_the_cluster_is_repaired(
    ledger: Ledger, tmp_path: Path, case: RuleCase
) -> None:
    add_prod(ledger, case)
    sync(ledger, write_case(tmp_path / "broken", case.objects(), case.form))
    repaired = write_case(tmp_path / "repaired", clean_objects(), case.form)

    result = sync(ledger, repaired, now=LATER)

    assert (rows(cluster_report(ledger, "prod")), result.findings) == (set(), {})
    assert count_rows(ledger, ClusterFinding) == 0
    snapshot = read_dump(repaired, taken_at=LATER)
    holders = {(str(address), kind, holder) for address, kind, holder, *_ in observed_holders(snapshot)}
    assert {(address, kind, holder) for address, kind, holder, *_ in observed_rows(ledger)} == holders


def test_sync_rules_dual_stack_pods_hold_both_families_and_their_multus_addresses(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger, BY_ID["dual-stack"])

    sync(ledger, write_case(tmp_path, dual_stack_objects(), "folder"))

    for address in ("fd00:10:244:1::2", "10.244.1.2", "192.168.40.101", "fd69:6684:61a:2::101"):
        held = [
            (item.kind, item.holder, item.node)
            for answer in whois(ledger, ip(address))
            for item in answer.held_by
        ]
        assert held == [("pod", "default/whereabouts-test-1", "node-1")], address
    records = sorted((str(item.address), item.holder_name) for item in list_addresses(ledger))
    assert records == [
        ("192.168.10.11", "node-1"),
        ("192.168.10.12", "node-2"),
        ("fd00:192:168:10::11", "node-1"),
        ("fd00:192:168:10::12", "node-2"),
    ]


# -- the grace period --------------------------------------------------------------------------


def _starting_whereabouts_pod(created: datetime) -> Files:
    starting = pod("default", "new-0", node_name="node-a", created=created, phase="Pending")
    files = added(clean_objects(), "core.json", starting)
    files = replaced(
        files,
        "IPPool",
        "kube-system/192.168.50.0-24",
        lambda obj: obj["spec"]["allocations"].update(
            {"6": {"id": f"{6:064x}", "ifname": "net1", "podref": "default/new-0"}}
        ),
    )
    return added(
        files,
        "whereabouts.json",
        whereabouts_reservation("kube-system", "192.168.50.6", podref="default/new-0"),
    )


def _starting_calico_pod(created: datetime) -> Files:
    starting = pod("default", "new-1", node_name="node-a", created=created, phase="Pending")
    entries = (
        *NODE_A_ENTRIES,
        CalicoEntry(7, "k8s-pod-network.e5f6a1b2c3d4", "default/new-1", allocated_at=created),
    )
    files = added(clean_objects(), "core.json", starting)
    files = replaced(
        files,
        "IPAMBlock",
        "10-244-1-0-26",
        lambda obj: obj.update(calico_block("10.244.1.0/26", host="node-a", entries=entries)),
    )
    return added(files, "calico.json", calico_handle("k8s-pod-network.e5f6a1b2c3d4", block="10.244.1.0/26"))


def _starting_cilium_pod(created: datetime) -> Files:
    files = BY_ID["cilium-ip-owner-gone"].objects()
    files = removed(files, "CiliumNode", "worker-1")
    used = {
        "10.0.1.1": "router",
        "10.0.1.2": "health",
        "10.0.1.17": "default/web-0",
        "10.0.1.40": "default/new-2",
    }
    files = added(
        files,
        "cilium.json",
        cilium_node("worker-1", internal_ip="192.168.20.11", pod_cidr="10.0.1.0/24", used=used),
    )
    return added(
        files, "core.json", pod("default", "new-2", node_name="worker-1", created=created, phase="Pending")
    )


def _new_ipaddress_of_a_gone_service(created: datetime) -> Files:
    return added(
        clean_objects(),
        "networking.json",
        ip_address("10.96.0.99", service_ref="default/old-api", created=created),
    )


GRACE_CASES = pytest.mark.parametrize(
    ("starting", "networks", "kind", "address"),
    [
        (_starting_whereabouts_pod, BY_ID["clean"].networks, "whereabouts-ip-not-on-pod", "192.168.50.6"),
        (_starting_calico_pod, BY_ID["clean"].networks, "calico-leaked-ip", "10.244.1.7"),
        (_starting_cilium_pod, CILIUM_NETWORKS, "cilium-ip-owner-gone", "10.0.1.40"),
        (_new_ipaddress_of_a_gone_service, BY_ID["clean"].networks, "service-ipaddress-orphan", "10.96.0.99"),
    ],
    ids=["whereabouts", "calico", "cilium", "service-ipaddress"],
)


@GRACE_CASES
@pytest.mark.parametrize(
    ("age", "reported"),
    [
        (timedelta(minutes=5), False),
        (timedelta(minutes=14, seconds=59), False),
        (timedelta(minutes=15), True),
    ],
    ids=["5m", "14m59s", "15m"],
)
def test_sync_rules_judge_what_just_started_only_after_the_grace_period(
    ledger: Ledger,
    tmp_path: Path,
    starting: Callable[[datetime], Files],
    networks: tuple[tuple[str, str], ...],
    kind: str,
    address: str,
    age: timedelta,
    reported: bool,
) -> None:
    add_prod(ledger, RuleCase("grace", clean_objects, frozenset(), networks=networks))

    result = sync(ledger, write_case(tmp_path, starting(NOW - age), "folder"))

    found = {(item.kind, item.address) for item in cluster_report(ledger, "prod").findings}
    assert found == ({(kind, address)} if reported else set())
    assert result.findings == ({kind: 1} if reported else {})


# -- a sync whose database write fails half-way -------------------------------------------------

# The tables a sync writes after it has read the dump, in the order it writes them.
WRITTEN_TABLES = ("addresses", "observed_addresses", "observed_blocks", "cluster_findings", "usage_samples")
REFUSAL = "insert refused by a trigger of the test"


class Refusal:
    """Makes inserts into a table fail for real, with a trigger, until the test ends."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.tables: list[str] = []

    def refuse_inserts(self, table: str) -> None:
        postgres = self.ledger.engine.dialect.name == "postgresql"
        statements = (
            [
                f"CREATE FUNCTION ipledger_test_refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{REFUSAL} on %', TG_TABLE_NAME; END $$",
                f"CREATE TRIGGER ipledger_test_refuse_{table} BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION ipledger_test_refuse_{table}()",
            ]
            if postgres
            else [
                f"CREATE TRIGGER ipledger_test_refuse_{table} BEFORE INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL} on {table}'); END"
            ]
        )
        with self.ledger.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        self.tables.append(table)

    def drop(self) -> None:
        postgres = self.ledger.engine.dialect.name == "postgresql"
        with self.ledger.engine.begin() as connection:
            for table in self.tables:
                connection.execute(
                    text(f"DROP TRIGGER ipledger_test_refuse_{table}" + (f" ON {table}" if postgres else ""))
                )
                if postgres:
                    connection.execute(text(f"DROP FUNCTION ipledger_test_refuse_{table}()"))


@pytest.fixture
def refusal(ledger: Ledger) -> Iterator[Refusal]:
    # The PostgreSQL database serves the whole session: the triggers must go whatever happens.
    made = Refusal(ledger)
    try:
        yield made
    finally:
        made.drop()


def _next_day(files: Files) -> Files:
    """The cluster a day later: node-b is gone and node-c joined, pods and leftovers changed."""
    files = removed(files, "Node", "node-b")
    files = removed(files, "Pod", "default/api-0", "default/web-2")
    return added(
        files,
        "core.json",
        node("node-c", internal_ip="192.168.10.13", pod_cidr="10.244.3.0/24"),
        pod("default", "api-1", node_name="node-c", ips=["10.244.3.7"]),
    )


@pytest.mark.parametrize("table", WRITTEN_TABLES)
def test_sync_rules_failed_database_write_keeps_the_previous_sync_whole(
    ledger: Ledger, tmp_path: Path, refusal: Refusal, table: str
) -> None:
    case = BY_ID["calico-block-of-gone-node"]
    add_prod(ledger, case)
    good = sync(ledger, write_case(tmp_path / "good", case.objects(), "folder"))
    before = stored_state(ledger)
    refusal.refuse_inserts(table)

    with pytest.raises(LedgerError) as caught:
        sync(ledger, write_case(tmp_path / "next", _next_day(case.objects()), "folder"), now=LATER)

    assert REFUSAL in str(caught.value)
    after = stored_state(ledger)
    recorded_elsewhere = ("cluster_syncs", "changes")
    assert {name: rows for name, rows in after.items() if name not in recorded_elsewhere} == {
        name: rows for name, rows in before.items() if name not in recorded_elsewhere
    }
    # The only change written is the audit entry of the failed sync.
    written = [row for row in after["changes"] if row not in before["changes"]]
    assert len(after["changes"]) == len(before["changes"]) + 1
    assert [row[3:5] for row in written] == [("sync", "cluster")]
    report = cluster_report(ledger, "prod")
    assert report.last_sync is not None and report.last_good_sync is not None
    assert (report.last_sync.status, report.last_sync.error) == ("failed", str(caught.value))
    assert report.last_sync.started_at == LATER and report.last_sync.finished_at is not None
    assert report.last_good_sync.id == good.sync_id
    assert rows(report) == case.expected


# -- the live path and the CLI -----------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as fake:
        yield fake


@EACH_CASE
def test_sync_rules_live_path_stores_what_the_dump_stores(
    ledger: Ledger, tmp_path: Path, server: FakeAPIServer, case: RuleCase
) -> None:
    add_prod(ledger, case)
    objects = [obj for items in case.objects().values() for obj in items]
    # Endpoints and EndpointSlices of the kind fixture: kinds the reader does not list.
    server.serve_objects(obj for obj in objects if (obj["apiVersion"], obj["kind"]) in KINDS)
    for kind in ("Node", "Pod", "Service"):  # every API server serves these, if only empty
        if not any(obj["kind"] == kind for obj in objects):
            server.serve_empty("v1", kind)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token=server.token)

    result = sync_live(ledger, "prod", LiveSource(kubeconfig), actor=ACTOR, now=NOW)

    assert_stored(ledger, case, result)


# The CLI syncs at the real time: cases whose objects were all created long before it.
CLI_CASES = ("dual-stack-yaml", "whereabouts-bad-offset-ipv6", "calico-affinities-of-gone-nodes",
             "cilium-node-gone-kind-dual-stack", "drift-load-balancers-outside")  # fmt: skip


@pytest.mark.parametrize("case_id", CLI_CASES)
def test_sync_rules_cli_sync_from_a_yaml_dump_reports_each_finding(
    ledger: Ledger, ledger_url: str, tmp_path: Path, case_id: str
) -> None:
    case = BY_ID[case_id]
    add_prod(ledger, case)
    path = write_case(tmp_path, case.objects(), case.form)

    def ipledger(*args: str) -> str:
        result = CliRunner().invoke(
            main, ["--database", ledger_url, "--actor", CLI_ACTOR, *args], catch_exceptions=False
        )
        assert (result.exit_code, result.stderr) == (0, ""), result.output
        return result.stdout

    synced = ipledger("cluster", "sync", "prod", "--from-dump", str(path))
    report = json.loads(ipledger("cluster", "report", "prod", "--format", "json"))

    counted = sorted(line.strip() for line in synced.splitlines() if " x " in line)
    assert counted == [
        f"{count} x {kind}" for kind, count in sorted(Counter(row[1] for row in case.expected).items())
    ]
    stored = {
        (
            item["severity"],
            item["kind"],
            item["subject"],
            item["address"],
            item["pool"],
            item["owner"],
            item["release"],
        )
        for item in report["findings"]
    }
    assert stored == case.expected
