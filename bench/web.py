"""Speed of the web UI at the sizes issue 7 names: one real `ipledger serve` process on SQLite.

A ledger of 10,000 prefixes and 100,000 addresses is built in-process with the service layer's
bulk path (with groups, a few clusters' worth of roles and levels), then one server process
serves it and a signed-in client asks for each page over HTTP. Prints count, median and 99th
percentile per page (the time from request to the last byte, over loopback), with a verdict:
- the page of a /16 holding 50,000 addresses: target median under 100 ms;
- a prefix list of 1,000 rows with utilization: under 300 ms;
- the dashboard: under 200 ms;
- a change reaching an open event stream (what the other browsers listen to): under 1 s.
"""

from __future__ import annotations

import ipaddress
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from api import HOST, Results, Row, free_port, percentile  # bench/api.py: the table and its verdicts

from ipledger.core.permissions import AccessRole
from ipledger.service.auth import create_user, grant
from ipledger.service.bulk import NewAddress, NewPrefix, create_objects, load_objects
from ipledger.service.groups import create_group
from ipledger.service.ledger import Ledger, database_url_for_path
from ipledger.service.prefixes import PrefixFilter, list_prefixes

PASSWORD = "bench passphrase, long enough"
ACTOR = "bench"
DENSE = ipaddress.ip_network("172.16.0.0/16")
DENSE_COUNT = 50_000
SPARSE_COUNT = 50_000
PREFIXES = 10_000
SAMPLES = 30


def build(path: Path) -> int:
    """The ledger; returns the id of the dense /16."""
    ledger = Ledger.open(database_url_for_path(path))
    try:
        for team in ("dc/fra1", "dc/ams1", "kubernetes/prod", "kubernetes/staging"):
            create_group(ledger, team, actor=ACTOR, parents=True)
        create_user(ledger, "viewer", actor=ACTOR, password=PASSWORD)
        grant(ledger, "viewer", AccessRole.ADMIN, actor=ACTOR)
        with ledger.transaction(ACTOR) as tx:
            load_objects(
                tx,
                prefixes=[NewPrefix("bench", "global", DENSE, group="dc/fra1", description="dense")],
                addresses=[
                    NewAddress(
                        "bench", "global", DENSE[1 + index], holder_kind="vm", holder_name=f"vm-{index}"
                    )
                    for index in range(DENSE_COUNT)
                ],
            )
        # 9,999 more prefixes: /24s in 10.0.0.0/8, each with five addresses, in four groups.
        teams = ("dc/fra1", "dc/ams1", "kubernetes/prod", "kubernetes/staging")
        for start in range(0, PREFIXES - 1, 1000):
            chunk = range(start, min(start + 1000, PREFIXES - 1))
            nets = [ipaddress.ip_network(f"10.{index // 256}.{index % 256}.0/24") for index in chunk]
            create_objects(
                ledger,
                actor=ACTOR,
                prefixes=[
                    NewPrefix("bench", "global", net, group=teams[index % 4])
                    for index, net in zip(chunk, nets, strict=True)
                ],
                addresses=[
                    NewAddress(
                        "bench",
                        "global",
                        net[1 + host],
                        holder_kind="server",
                        holder_name=f"s-{net[1 + host]}",
                    )
                    for net in nets
                    for host in range(5)
                ],
            )
        [dense], _ = list_prefixes(ledger, PrefixFilter(within=DENSE, limit=1))
        return dense.id
    finally:
        ledger.close()


def main() -> int:
    results = Results()
    with tempfile.TemporaryDirectory(prefix="ipledger-web-bench-") as folder:
        path = Path(folder) / "web.db"
        start = time.perf_counter()
        dense_id = build(path)
        print(
            f"ledger built in {time.perf_counter() - start:.1f} s: {PREFIXES} prefixes, "
            f"{DENSE_COUNT + 5 * (PREFIXES - 1)} addresses"
        )
        port = free_port()
        base = f"http://{HOST}:{port}"
        log = (Path(folder) / "server.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ipledger",
                "--database",
                str(path),
                "serve",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-sync-clusters",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
                for _ in range(600):
                    try:
                        if client.get("/login").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.1)
                session = client.post("/api/v1/session", json={"name": "viewer", "password": PASSWORD})
                session.raise_for_status()
                csrf = session.json()["csrf_token"]
                print(
                    f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}"
                )
                pages = [
                    (f"page of the /16 holding {DENSE_COUNT} addresses", f"/prefixes/{dense_id}", 100.0),
                    (
                        "prefix list, 1,000 rows with utilization",
                        "/prefixes?limit=1000&sort=utilization",
                        300.0,
                    ),
                    ("dashboard", "/", 200.0),
                    ("group tree (all groups rolled up)", "/groups", None),
                    ("change log, 50 entries", "/changes", None),
                ]
                for name, url, target in pages:
                    samples = []
                    for index in range(SAMPLES + 3):
                        began = time.perf_counter()
                        answer = client.get(url)
                        elapsed = (time.perf_counter() - began) * 1000
                        if answer.status_code != 200:
                            raise RuntimeError(f"{url} answered {answer.status_code}: {answer.text[:300]}")
                        if index >= 3:  # the first ones warm caches
                            samples.append(elapsed)
                    row = results.add(Row(name, samples))
                    if target is not None:
                        median = statistics.median(samples)
                        results.judge(
                            row,
                            f"median < {target:.0f} ms",
                            median < target,
                            f"{len(answer.content) // 1024} KiB",
                        )
                delays = live_delays(base, client, csrf, dense_id)
                row = results.add(Row("a change reaches an open event stream", delays))
                results.judge(row, "p99 < 1000 ms", percentile(delays, 0.99) < 1000.0)
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()
    results.print_table()
    return 0 if all(met for _, met, _ in results.verdicts) else 1


def live_delays(base: str, client: httpx.Client, csrf: str, prefix_id: int) -> list[float]:
    """From sending a change to its event arriving on a stream opened with the same session."""
    delays: list[float] = []
    arrived = threading.Event()
    cookies = dict(client.cookies)

    def listen() -> None:
        with (
            httpx.Client(base_url=base, timeout=120, trust_env=False, cookies=cookies) as stream_client,
            stream_client.stream("GET", "/api/v1/events", params={"kind": "prefix"}) as response,
        ):
            for line in response.iter_lines():
                if line.startswith("data:"):
                    arrived.set()
                    if stop.is_set():
                        return

    stop = threading.Event()
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(1.0)  # let the stream open
    for index in range(20):
        arrived.clear()
        began = time.perf_counter()
        answer = client.patch(
            f"/api/v1/prefixes/{prefix_id}",
            json={"description": f"change {index}"},
            headers={"X-CSRF-Token": csrf},
        )
        answer.raise_for_status()
        if not arrived.wait(10):
            raise RuntimeError("a change did not reach the event stream within 10 s")
        delays.append((time.perf_counter() - began) * 1000)
    stop.set()
    return delays


if __name__ == "__main__":
    sys.exit(main())
