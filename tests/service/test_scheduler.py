"""Periodic cluster syncs: the schedule, claiming due clusters exactly once, a round of syncs and the
scheduler thread.

Scheduled clusters read a fake Kubernetes API server on 127.0.0.1 (`tests.kube.fake_apiserver`)
through a kubeconfig in the test's folder; an unreachable cluster points at a closed port there.
Rounds run at fixed times. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.service.cluster_report import SyncRecord, list_syncs
from ipledger.service.clusters import show_cluster
from ipledger.service.ledger import Ledger
from ipledger.service.reports import whois
from ipledger.service.scheduler import (
    Claim,
    SyncScheduler,
    _run_in_child,  # the child's failure path, which no cluster can provoke
    claim_due_syncs,
    run_due_syncs,
    schedule_sync,
)
from ipledger.service.sync import LiveSource
from ipledger.store import locks
from tests.kube.fake_apiserver import FakeAPIServer, write_kubeconfig
from tests.service.factories import ACTOR, add_cluster, all_changes, ip, stored_state
from tests.service.k8s_dumps import CREATED, node, pod, service

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
POD_IP = "10.244.1.2"
SCHEDULER_THREAD = "ipledger-sync-scheduler"
CLAIM_ROUNDS = 5


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The Kubernetes client takes proxies from the environment; the fake server is on 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as fake:
        fake.serve_objects(
            [
                node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"),
                pod("default", "web-1", node_name="node-a", ips=[POD_IP]),
                service("default", "web", cluster_ip="10.96.0.20"),
            ]
        )
        yield fake


@pytest.fixture
def kubeconfig(server: FakeAPIServer, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token=server.token)


@pytest.fixture
def unreachable(tmp_path: Path) -> Path:
    """A kubeconfig naming a closed port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return write_kubeconfig(tmp_path / "unreachable", server=f"http://127.0.0.1:{port}", token="token")


def scheduled(ledger: Ledger, name: str, kubeconfig: Path, *, every: int = 15) -> None:
    add_cluster(ledger, name)
    schedule_sync(ledger, name, actor=ACTOR, kubeconfig=kubeconfig, every_minutes=every)


def syncs(ledger: Ledger, name: str = "prod") -> list[SyncRecord]:
    return list_syncs(ledger, name)


def claimed(claims: list[Claim]) -> list[str]:
    return [item.cluster for item in claims]


def in_parallel(*work: Callable[[], list[Claim]]) -> list[str]:
    """Run each piece of work in its own thread, all released at once; every cluster claimed."""
    start = threading.Barrier(len(work))
    results: list[list[Claim]] = [[] for _ in work]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=60)
            results[index] = work[index]()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return [name for result in results for name in claimed(result)]


# -- schedule_sync -------------------------------------------------------------------------------


def test_schedule_sync_records_the_kubeconfig_context_and_interval(ledger: Ledger, kubeconfig: Path) -> None:
    add_cluster(ledger, "prod")

    record = schedule_sync(
        ledger, "prod", actor=ACTOR, kubeconfig=kubeconfig, context="fake", every_minutes=5
    )

    expected = (str(kubeconfig), "fake", 5)
    assert (record.sync_kubeconfig, record.sync_context, record.sync_every_minutes) == expected
    stored = show_cluster(ledger, "prod").cluster
    assert (stored.sync_kubeconfig, stored.sync_context, stored.sync_every_minutes) == expected
    assert (record.version, all_changes(ledger)[-1].action) == (2, "update")


def test_schedule_sync_hands_the_context_to_the_claim(ledger: Ledger, kubeconfig: Path) -> None:
    add_cluster(ledger, "prod")
    schedule_sync(ledger, "prod", actor=ACTOR, kubeconfig=kubeconfig, context="fake")

    (claim,) = claim_due_syncs(ledger, now=T0)

    assert (claim.cluster, claim.source) == ("prod", LiveSource(kubeconfig=kubeconfig, context="fake"))


def test_schedule_sync_with_no_kubeconfig_stops_the_syncs(ledger: Ledger, kubeconfig: Path) -> None:
    scheduled(ledger, "prod", kubeconfig)

    record = schedule_sync(ledger, "prod", actor=ACTOR, kubeconfig=None, context="fake")

    assert (record.sync_kubeconfig, record.sync_context, record.sync_every_minutes) == (None, None, None)
    assert claim_due_syncs(ledger, now=T0) == []
    assert syncs(ledger) == []


@pytest.mark.parametrize("every", [0, -1, -15])
def test_schedule_sync_refuses_an_interval_below_one_minute(
    ledger: Ledger, kubeconfig: Path, every: int
) -> None:
    add_cluster(ledger, "prod")
    before = stored_state(ledger)

    with pytest.raises(InvalidInputError, match=f"at least 1 minute, not {every}") as caught:
        schedule_sync(ledger, "prod", actor=ACTOR, kubeconfig=kubeconfig, every_minutes=every)

    assert caught.value.field == "every"
    assert stored_state(ledger) == before


def test_schedule_sync_of_an_unknown_cluster_raises_not_found(ledger: Ledger, kubeconfig: Path) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        schedule_sync(ledger, "nope", actor=ACTOR, kubeconfig=kubeconfig)


# -- claim_due_syncs -----------------------------------------------------------------------------


def test_claim_due_syncs_records_a_running_sync(ledger: Ledger, kubeconfig: Path) -> None:
    scheduled(ledger, "prod", kubeconfig)

    (claim,) = claim_due_syncs(ledger, now=T0)

    (row,) = syncs(ledger)
    assert (row.id, row.started_at, row.status, row.source) == (
        claim.sync_id,
        T0,
        "running",
        f"scheduled: kubeconfig {kubeconfig}",
    )


def test_claim_due_syncs_without_scheduled_clusters_claims_nothing(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")

    assert claim_due_syncs(ledger, now=T0) == []


@pytest.mark.parametrize(
    ("every", "minutes_later", "due"),
    [
        pytest.param(15, 1, False, id="one-minute-later"),
        pytest.param(15, 14, False, id="just-inside-the-interval"),
        pytest.param(15, 15, True, id="at-the-end-of-the-interval"),
        pytest.param(15, 16, True, id="after-the-interval"),
        pytest.param(1, 1, True, id="one-minute-interval"),
        pytest.param(60, 59, False, id="hourly-after-59-minutes"),
        pytest.param(60, 24 * 60, True, id="hourly-a-day-later"),
    ],
)
def test_claim_due_syncs_claims_a_cluster_again_only_after_its_interval(
    ledger: Ledger, kubeconfig: Path, every: int, minutes_later: int, due: bool
) -> None:
    scheduled(ledger, "prod", kubeconfig, every=every)
    assert claimed(claim_due_syncs(ledger, now=T0)) == ["prod"]

    again = claim_due_syncs(ledger, now=T0 + timedelta(minutes=minutes_later))

    assert claimed(again) == (["prod"] if due else [])


def test_claim_due_syncs_in_two_threads_claims_each_due_cluster_once(
    ledger: Ledger, kubeconfig: Path
) -> None:
    names = ["a", "b", "c"]
    for name in names:
        scheduled(ledger, name, kubeconfig)

    for round_ in range(CLAIM_ROUNDS):
        now = T0 + timedelta(minutes=15 * round_)

        found = in_parallel(*[partial(claim_due_syncs, ledger, now=now)] * 2)

        assert Counter(found) == Counter(names), f"round {round_}"


def test_claim_due_syncs_from_two_ledgers_claims_each_due_cluster_once(
    ledger: Ledger, ledger_url: str, kubeconfig: Path
) -> None:
    names = ["a", "b", "c"]
    for name in names:
        scheduled(ledger, name, kubeconfig)
    other = Ledger.open(ledger_url)  # a second server process on the same database
    try:
        for round_ in range(CLAIM_ROUNDS):
            now = T0 + timedelta(minutes=15 * round_)

            found = in_parallel(
                partial(claim_due_syncs, ledger, now=now),
                partial(claim_due_syncs, other, now=now),
            )

            assert Counter(found) == Counter(names), f"round {round_}"
    finally:
        other.close()


# -- run_due_syncs -------------------------------------------------------------------------------


@pytest.mark.parametrize("in_child", [True, False], ids=["child process", "this process"])
def test_run_due_syncs_syncs_a_scheduled_cluster_from_its_api_server(
    ledger: Ledger, kubeconfig: Path, in_child: bool
) -> None:
    scheduled(ledger, "prod", kubeconfig)
    woken: list[str] = []
    ledger.commit_hooks.append(lambda: woken.append("commit"))

    outcomes = run_due_syncs(ledger, now=T0, in_child=in_child)

    assert outcomes == [("prod", "ok")]
    (row,) = syncs(ledger)
    assert (row.started_at, row.status, row.error, row.source) == (
        T0,
        "ok",
        "",
        f"scheduled: kubeconfig {kubeconfig}",
    )
    assert (row.counts["nodes"], row.counts["pods"], row.counts["services"]) == (1, 1, 1)
    held = [
        (item.cluster, item.kind, item.holder, item.since)
        for answer in whois(ledger, ip(POD_IP))
        for item in answer.held_by
    ]
    assert held == [("prod", "pod", "default/web-1", CREATED)]  # since the pod started
    assert woken  # the event streams of this process hear of the sync, wherever it ran
    ledger.commit_hooks.clear()


def test_a_sync_process_that_ends_before_recording_its_outcome_marks_the_sync_failed(
    ledger: Ledger, kubeconfig: Path, tmp_path: Path
) -> None:
    scheduled(ledger, "prod", kubeconfig)
    (claim,) = claim_due_syncs(ledger, now=T0)
    # The child cannot open this database, so it exits with an error before touching the sync.
    unopenable = f"sqlite+pysqlite:///{tmp_path / 'no-such-folder' / 'ledger.db'}"

    cluster, error = _run_in_child(ledger, unopenable, claim, T0)

    assert (cluster, error) == ("prod", "the sync process ended with exit code 1 before it finished")
    (row,) = syncs(ledger)
    assert (row.status, row.error) == ("failed", error)
    assert row.finished_at is not None


def test_run_due_syncs_within_the_interval_syncs_nothing(
    ledger: Ledger, server: FakeAPIServer, kubeconfig: Path
) -> None:
    scheduled(ledger, "prod", kubeconfig)
    run_due_syncs(ledger, now=T0)
    requests = len(server.requests)

    assert run_due_syncs(ledger, now=T0 + timedelta(minutes=1)) == []
    assert len(syncs(ledger)) == 1
    assert len(server.requests) == requests


def test_run_due_syncs_after_the_interval_syncs_again(ledger: Ledger, kubeconfig: Path) -> None:
    scheduled(ledger, "prod", kubeconfig)
    run_due_syncs(ledger, now=T0)

    outcomes = run_due_syncs(ledger, now=T0 + timedelta(minutes=15))

    assert outcomes == [("prod", "ok")]
    assert [(row.started_at, row.status) for row in syncs(ledger)] == [
        (T0 + timedelta(minutes=15), "ok"),
        (T0, "ok"),
    ]


def test_run_due_syncs_records_an_unreachable_server_as_failed_and_syncs_the_others(
    ledger: Ledger, kubeconfig: Path, unreachable: Path
) -> None:
    scheduled(ledger, "down", unreachable)
    scheduled(ledger, "prod", kubeconfig)

    outcomes = run_due_syncs(ledger, now=T0)

    assert [name for name, _ in outcomes] == ["down", "prod"]
    error = outcomes[0][1]
    assert "cannot connect: Connection refused" in error
    (failed,) = syncs(ledger, "down")
    assert (failed.status, failed.error, failed.started_at) == ("failed", error, T0)
    assert failed.finished_at is not None
    assert outcomes[1] == ("prod", "ok")
    assert [row.status for row in syncs(ledger, "prod")] == ["ok"]


def test_run_due_syncs_without_scheduled_clusters_returns_no_outcomes(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")

    assert run_due_syncs(ledger, now=T0) == []


# -- SyncScheduler -------------------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], *, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the scheduler did not finish a round in time"
        time.sleep(0.02)


def test_sync_scheduler_runs_a_round_and_stops(ledger: Ledger, kubeconfig: Path) -> None:
    scheduled(ledger, "prod", kubeconfig)
    scheduler = SyncScheduler(ledger, tick_seconds=0.02)

    scheduler.start()
    try:
        _wait_for(lambda: [row.status for row in syncs(ledger)] == ["ok"])
        time.sleep(0.2)  # several more ticks: the cluster is not due again for 15 minutes
    finally:
        scheduler.stop(timeout=30)

    assert SCHEDULER_THREAD not in [thread.name for thread in threading.enumerate()]
    (row,) = syncs(ledger)
    assert (row.status, row.source) == ("ok", f"scheduled: kubeconfig {kubeconfig}")


def test_sync_scheduler_keeps_running_after_a_failed_sync(
    ledger: Ledger, kubeconfig: Path, unreachable: Path
) -> None:
    scheduled(ledger, "down", unreachable)
    scheduler = SyncScheduler(ledger, tick_seconds=0.02)
    scheduler.start()
    try:
        _wait_for(lambda: [row.status for row in syncs(ledger, "down")] == ["failed"])

        scheduled(ledger, "prod", kubeconfig)

        _wait_for(lambda: [row.status for row in syncs(ledger, "prod")] == ["ok"])
    finally:
        scheduler.stop(timeout=30)
    assert SCHEDULER_THREAD not in [thread.name for thread in threading.enumerate()]


# -- several server processes on one PostgreSQL database ----------------------------------------

_ROUND_IN_A_PROCESS = """
import sys
from datetime import datetime
from ipledger.service.ledger import Ledger
from ipledger.service.scheduler import run_due_syncs

ledger = Ledger.open(sys.argv[1])
print(run_due_syncs(ledger, now=datetime.fromisoformat(sys.argv[2])))
ledger.close()
"""


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_run_due_syncs_skips_a_cluster_another_process_is_syncing(
    ledger: Ledger, ledger_url: str, kubeconfig: Path
) -> None:
    scheduled(ledger, "prod", kubeconfig)
    cluster_id = show_cluster(ledger, "prod").cluster.id
    other = Ledger.open(ledger_url)
    try:
        with locks.hold_exclusive(other.engine, locks.SYNC_LOCK, cluster_id) as taken:
            assert taken
            assert run_due_syncs(ledger, now=T0) == []
            assert syncs(ledger) == []
        assert run_due_syncs(ledger, now=T0) == [("prod", "ok")]
    finally:
        other.close()


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_run_due_syncs_in_two_processes_at_once_syncs_once(
    ledger: Ledger, ledger_url: str, kubeconfig: Path
) -> None:
    scheduled(ledger, "prod", kubeconfig)
    command = [sys.executable, "-c", _ROUND_IN_A_PROCESS, ledger_url, T0.isoformat()]

    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sorted(out.decode().strip() for out, _ in outputs) == ["[('prod', 'ok')]", "[]"]
    assert [row.status for row in syncs(ledger)] == ["ok"]
