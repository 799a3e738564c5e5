"""Faults that must lose nothing: a server process killed (SIGKILL) in the middle of a bulk import
or a plan apply, and PostgreSQL restarted while clients allocate.

On PostgreSQL the kill lands at a known point: the test holds the advisory lock that orders audit
entries, so the server's transaction writes all its rows and then waits for that lock, still
uncommitted, when it is killed. On SQLite it lands after a short pause, wherever the import is.
Either way the ledger holds all of the request or none of it, and it can be sent again.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import make_url, select, text

from ipledger.service.ledger import Ledger
from ipledger.store import locks
from ipledger.store.models import Address, Cluster, Plan, Prefix
from tests.api import tokens
from tests.api.conftest import client_of, sign_in
from tests.api.server import ServerProcess, server_process
from tests.service.factories import add_prefix, count_rows

pytestmark = pytest.mark.slow

BULK = 10_000
WAIT = 60.0
POOLS = {"pod_pools": ["10.0.0.0/8"], "service_pools": ["172.16.0.0/12"], "node_pools": ["192.168.0.0/16"]}
POSTGRES_CLUSTER = ("15", "main")


def _bulk(count: int) -> list[dict[str, str]]:
    base = int(ipaddress.ip_address("10.64.0.0"))
    return [{"address": str(ipaddress.ip_address(base + index))} for index in range(count)]


@contextmanager
def _audit_log_held(url: str) -> Iterator[None]:
    """Hold the audit log's advisory lock from another connection (PostgreSQL): every writing
    transaction stops just before its commit until the block ends."""
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (locks._AUDIT_LOG_LOCK,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (locks._AUDIT_LOG_LOCK,))


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _wait_for_blocked_writer(ledger: Ledger) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with ledger.engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("no server transaction reached the audit log")


def _kill_during(server: ServerProcess, ledger: Ledger, url: str, send: Any) -> None:
    """Run ``send`` in a thread and SIGKILL the server while it handles the request."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            send()
        except httpx.TransportError as error:  # the server died under the request: expected
            failures.append(error)

    sender = threading.Thread(target=run)
    if url.startswith("postgresql"):
        with _audit_log_held(url):
            sender.start()
            _wait_for_blocked_writer(ledger)
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    else:
        sender.start()
        time.sleep(0.3)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    sender.join(WAIT)
    assert not sender.is_alive()


def test_faults_kill_9_during_a_bulk_import_keeps_all_or_none(ledger: Ledger, ledger_url: str) -> None:
    tokens.current["alice"] = sign_in(ledger)
    body = _bulk(BULK)

    with server_process(ledger_url) as server:

        def send() -> None:
            with client_of(f"{server.base}/api/v1") as api:
                api.post("/addresses/bulk", json=body)

        _kill_during(server, ledger, ledger_url, send)

    stored = count_rows(ledger, Address)
    assert stored in (0, BULK)
    if ledger_url.startswith("postgresql"):
        assert stored == 0  # killed before its commit, by construction
    if stored == 0:
        with server_process(ledger_url) as again, client_of(f"{again.base}/api/v1") as api:
            response = api.post("/addresses/bulk", json=body)
        assert response.status_code == 201, response.text
    assert count_rows(ledger, Address) == BULK
    with ledger.reading() as session:
        values = session.execute(select(Address.value)).scalars().all()
    assert len(set(values)) == BULK


def test_faults_kill_9_during_a_plan_apply_keeps_all_or_none(ledger: Ledger, ledger_url: str) -> None:
    tokens.current["alice"] = sign_in(ledger)
    with server_process(ledger_url) as server:
        with client_of(f"{server.base}/api/v1") as api:
            created = api.post("/cluster-plans", json={"name": "c1", **POOLS})
            assert created.status_code == 201, created.text
            plan_id = created.json()["id"]

        def send() -> None:
            with client_of(f"{server.base}/api/v1") as api:
                api.post(f"/plans/{plan_id}/apply")

        _kill_during(server, ledger, ledger_url, send)

    with ledger.reading() as session:
        status = session.execute(select(Plan.status).where(Plan.id == plan_id)).scalar_one()
        clusters = session.execute(select(Cluster.name)).scalars().all()
    prefixes = count_rows(ledger, Prefix)
    if status == "applied":  # the kill came after the commit (SQLite: possible)
        assert (clusters, prefixes) == (["c1"], 6)
        return
    assert (clusters, prefixes) == ([], 0)
    with server_process(ledger_url) as again, client_of(f"{again.base}/api/v1") as api:
        response = api.post(f"/plans/{plan_id}/apply")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "applied"
    assert count_rows(ledger, Prefix) == 6


# -- PostgreSQL restarted under load ---------------------------------------------------------------


def _restart_postgres() -> None:
    subprocess.run(["pg_ctlcluster", *POSTGRES_CLUSTER, "restart"], check=True, timeout=120)


def _ensure_postgres_running() -> None:
    status = subprocess.run(["pg_ctlcluster", *POSTGRES_CLUSTER, "status"], capture_output=True, timeout=60)
    if status.returncode != 0:
        subprocess.run(["pg_ctlcluster", *POSTGRES_CLUSTER, "start"], check=True, timeout=120)


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_faults_postgres_restart_while_clients_allocate(ledger: Ledger, ledger_url: str) -> None:
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        message = "restarting PostgreSQL needs pg_ctlcluster and root"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: this fault test must run)")
        pytest.skip(message)
    parent = add_prefix(ledger, "10.0.0.0/20").id
    tokens.current["alice"] = sign_in(ledger)
    outcomes: list[tuple[int, str | None]] = []
    guard = threading.Lock()
    stop = threading.Event()

    with server_process(ledger_url) as first, server_process(ledger_url) as second:

        def client(index: int) -> None:
            base = (first, second)[index % 2].base
            with client_of(f"{base}/api/v1") as api:
                while not stop.is_set():
                    response = api.post(
                        f"/prefixes/{parent}/available-addresses", json={"holder_name": f"c{index}"}
                    )
                    address = response.json()[0]["address"] if response.status_code == 201 else None
                    with guard:
                        outcomes.append((response.status_code, address))

        threads = [threading.Thread(target=client, args=(index,)) for index in range(8)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)
            _restart_postgres()
            time.sleep(2.0)
        finally:
            _ensure_postgres_running()
            stop.set()
            for thread in threads:
                thread.join(WAIT)
        before = len(outcomes)
        # Both servers reconnected by themselves: ready again, and allocating.
        for server in (first, second):
            _wait_ready(server.base)
            with client_of(f"{server.base}/api/v1") as api:
                response = api.post(f"/prefixes/{parent}/available-addresses", json={})
                assert response.status_code == 201, response.text
                outcomes.append((201, response.json()[0]["address"]))

    statuses = {status for status, _ in outcomes}
    assert statuses <= {201, 503}, statuses
    assert before > 0
    handed_out = [address for status, address in outcomes if status == 201]
    assert len(handed_out) == len(set(handed_out)), "an address was handed out twice"
    with ledger.reading() as session:
        stored = session.execute(text("SELECT count(*), count(DISTINCT value) FROM addresses")).one()
    assert stored[0] == stored[1]
    # A request cut off during its commit may have committed and still have been answered 503.
    assert len(handed_out) <= stored[0] <= len(outcomes)


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + WAIT
    with httpx.Client(base_url=base, timeout=10) as plain:
        while time.monotonic() < deadline:
            try:
                if plain.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise AssertionError(f"{base} never became ready again")
