"""Several server processes on one PostgreSQL database: a change made through one reaches the event
streams of the others (LISTEN/NOTIFY), 50 clients on ``serve --workers 4`` never collide, and
SIGTERM lets a request in flight finish.

Real processes (``ipledger serve`` in subprocesses), real HTTP. Timeouts are generous and only
end a run that hangs; nothing here measures time.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import httpx
import pytest
from sqlalchemy import text

from ipledger.service.events import listen_for_changes
from ipledger.service.ledger import Ledger
from ipledger.store.models import Address, Prefix
from ipledger.store.notify import APPLICATION_NAME
from tests.api import tokens
from tests.api.conftest import client_of, sign_in
from tests.api.server import server_process
from tests.service.factories import add_prefix, count_rows

pytestmark = pytest.mark.slow

ARRIVAL_TIMEOUT = 60.0
CLIENTS = 50
ROUNDS = 4
BULK = 10_000


def _change_events(response: httpx.Response) -> Iterator[dict[str, object]]:
    """The ``change`` events of an open event stream, as they come."""
    event = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "change":
            yield json.loads(line.removeprefix("data: "))


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_scale_out_listener_is_told_of_a_commit_by_another_connection(
    ledger: Ledger, ledger_url: str
) -> None:
    told = threading.Event()
    other = Ledger.open(ledger_url)  # another engine: as another process would commit
    listener = listen_for_changes(ledger, told.set)
    assert listener is not None
    listener.start()
    try:
        assert listener.connected.wait(ARRIVAL_TIMEOUT)
        told.clear()  # it calls back once on connecting, in case it missed something
        add_prefix(other, "10.9.0.0/16")
        assert told.wait(ARRIVAL_TIMEOUT)
    finally:
        listener.stop()
        other.close()


def _listener_pids(ledger: Ledger) -> set[int]:
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        )
        return {row[0] for row in rows}


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_scale_out_listener_reconnects_when_its_connection_is_lost(ledger: Ledger, ledger_url: str) -> None:
    told = threading.Event()
    listener = listen_for_changes(ledger, told.set)
    assert listener is not None
    listener.start()
    try:
        assert listener.connected.wait(ARRIVAL_TIMEOUT)
        (lost,) = _listener_pids(ledger)
        with ledger.engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while _listener_pids(ledger) in (set(), {lost}) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listener.connected.wait(ARRIVAL_TIMEOUT)
        told.clear()
        add_prefix(ledger, "10.9.0.0/16")
        assert told.wait(ARRIVAL_TIMEOUT)
    finally:
        listener.stop()


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_scale_out_listener_is_none_on_sqlite(ledger: Ledger, ledger_url: str) -> None:
    assert listen_for_changes(ledger, lambda: None) is None


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_scale_out_change_through_one_process_reaches_the_stream_of_another(
    ledger: Ledger, ledger_url: str
) -> None:
    tokens.current["alice"] = sign_in(ledger)
    with server_process(ledger_url) as first, server_process(ledger_url) as second:
        arrived: list[dict[str, object]] = []
        streaming = threading.Event()

        def watch() -> None:
            # A plain client: the checks of client_of read each answer whole, and a stream never ends.
            headers = {"Authorization": f"Bearer {tokens.current['alice']}"}
            with (
                httpx.Client(
                    base_url=f"{first.base}/api/v1", headers=headers, timeout=ARRIVAL_TIMEOUT
                ) as api,
                api.stream("GET", "/events") as response,
            ):
                assert response.status_code == 200
                streaming.set()
                for change in _change_events(response):
                    arrived.append(change)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        assert streaming.wait(ARRIVAL_TIMEOUT)
        time.sleep(0.2)  # the stream has read its starting position
        with client_of(f"{second.base}/api/v1") as api:
            assert api.post("/prefixes", json={"prefix": "10.20.0.0/16"}).status_code == 201
        watcher.join(ARRIVAL_TIMEOUT)

    assert [(change["object_kind"], change["object_label"]) for change in arrived] == [
        ("prefix", "10.20.0.0/16 (global)")
    ]


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_scale_out_50_clients_on_4_workers_never_collide(ledger: Ledger, ledger_url: str) -> None:
    address_parent = add_prefix(ledger, "10.0.0.0/23").id
    prefix_parent = add_prefix(ledger, "10.1.0.0/20").id
    tokens.current["alice"] = sign_in(ledger)
    start = threading.Barrier(CLIENTS)

    with server_process(ledger_url, "--workers", "4") as server:

        def client(index: int) -> list[httpx.Response]:
            with client_of(f"{server.base}/api/v1") as api:
                start.wait(timeout=300)
                responses = []
                for round_ in range(ROUNDS):
                    if (index + round_) % 2 == 0:
                        url, body = (
                            f"/prefixes/{address_parent}/available-addresses",
                            {"holder_name": f"c{index}"},
                        )
                    else:
                        url, body = f"/prefixes/{prefix_parent}/available-prefixes", {"prefixlen": 28}
                    responses.append(api.post(url, json=body))
                return responses

        with ThreadPoolExecutor(CLIENTS) as pool:
            responses = [response for batch in pool.map(client, range(CLIENTS)) for response in batch]

    assert len(responses) == CLIENTS * ROUNDS
    assert [response.status_code for response in responses if response.status_code >= 500] == []
    # Here every request fits: none needs refusing.
    assert [response.text for response in responses if response.status_code != 201] == []
    created = [item for response in responses if response.status_code == 201 for item in response.json()]
    addresses = [item["address"] for item in created if "address" in item]
    prefixes = sorted(
        (ipaddress.ip_network(item["prefix"]) for item in created if "prefix" in item), key=lambda net: net[0]
    )
    assert len(addresses) == len(set(addresses))
    assert all(not low.overlaps(high) for low, high in pairwise(prefixes))
    # Every successful response is in the ledger, and nothing else is.
    assert count_rows(ledger, Address) == len(addresses)
    assert count_rows(ledger, Prefix) == 2 + len(prefixes)
    with ledger.reading() as session:
        stored = session.execute(
            text("SELECT count(*), count(DISTINCT (space_id, family, value)) FROM addresses")
        ).one()
    assert stored[0] == stored[1] == len(addresses)
    assert len(addresses) + len(prefixes) == CLIENTS * ROUNDS


def _bulk(count: int, *, offset: int = 0) -> list[dict[str, str]]:
    base = int(ipaddress.ip_address("10.64.0.0")) + offset
    return [{"address": str(ipaddress.ip_address(base + index))} for index in range(count)]


# Several workers share a database on PostgreSQL only (one process serves a SQLite file).
@pytest.mark.parametrize(
    ("ledger_url", "workers"), [("sqlite", 1), ("postgresql", 1), ("postgresql", 2)], indirect=["ledger_url"]
)
def test_scale_out_sigterm_lets_a_request_in_flight_finish(
    ledger: Ledger, ledger_url: str, workers: int
) -> None:
    tokens.current["alice"] = sign_in(ledger)
    with server_process(ledger_url, "--workers", str(workers)) as server:
        outcome: list[httpx.Response] = []

        def send() -> None:
            with client_of(f"{server.base}/api/v1") as api:
                outcome.append(api.post("/addresses/bulk", json=_bulk(BULK)))

        sender = threading.Thread(target=send)
        sender.start()
        _wait_until_writing(ledger, ledger_url)
        server.process.send_signal(signal.SIGTERM)
        sender.join(120)
        # uvicorn raises SIGTERM again once it has shut down, so that the exit status tells why.
        assert server.process.wait(60) in (0, -signal.SIGTERM), server.output()

    assert [response.status_code for response in outcome] == [201]
    assert count_rows(ledger, Address) == BULK


def _wait_until_writing(ledger: Ledger, url: str) -> None:
    """Until a transaction of another connection has written (PostgreSQL: it holds a transaction
    id); on SQLite, a moment for the request to arrive."""
    if not url.startswith("postgresql"):
        time.sleep(0.3)
        return
    deadline = time.monotonic() + ARRIVAL_TIMEOUT
    while time.monotonic() < deadline:
        with ledger.engine.connect() as connection:
            writing = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            ).scalar()
        if writing:
            return
        time.sleep(0.01)
    raise AssertionError("no server transaction wrote anything")
