"""The scale benchmark of issue 9: a ledger of 1,000,000 addresses and 100,000 prefixes, served by
several processes on PostgreSQL (``serve --workers 4``), then by one process on SQLite.

For each engine it
- imports the data in-process through the bulk service path (``load_objects``, chunked, one
  transaction per chunk) and reports the time;
- starts ``ipledger serve`` and measures over HTTP, as median and 99th percentile: next free
  address and next free prefix in the /8 holding everything, whois of a recorded address, and a
  page of 1,000 prefixes with utilization;
- measures allocation throughput with 50 client threads allocating from one /16 (and checks that
  no address came twice);
- syncs a cluster of 5,000 nodes and 150,000 pods from a dump (``bench/sync.py``'s generator,
  Calico) into the same ledger, in a child process, and reports time and peak memory;
- reports the peak resident memory (VmHWM) of every server process.

Figures only, never a pass or fail of a test. Run: ``.venv/bin/python bench/scale.py`` (both
engines; ``--engine sqlite`` or ``--engine postgresql`` for one; ``--scale 0.1`` for a smaller
run). PostgreSQL: ``--postgres-url`` (default: the test server), database ``ipledger_scale_bench``
is dropped and created.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync as sync_bench

from ipledger.core.permissions import AccessRole
from ipledger.service.auth import create_token, create_user, grant
from ipledger.service.bulk import NewAddress, NewPrefix, load_objects
from ipledger.service.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
HOST = "127.0.0.1"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "ipledger_scale_bench"
ADDRESSES = 1_000_000
PREFIXES = 100_000
CHUNK = 50_000
CLIENTS = 50
PER_CLIENT = 20
SYNC_NODES = 5_000
ONE_GIB_KIB = 1024 * 1024


@dataclass(slots=True)
class Figures:
    engine: str
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def timing(self, name: str, samples_ms: list[float]) -> None:
        self.rows.append((name, f"{statistics.median(samples_ms):.1f} ms", f"{percentile(samples_ms, 0.99):.1f} ms",
                          f"{len(samples_ms)} samples"))  # fmt: skip

    def total(self, name: str, value: str, note: str = "") -> None:
        self.rows.append((name, value, "", note))

    def print(self) -> None:
        print(f"\n{self.engine}")
        width = max(len(row[0]) for row in self.rows)
        print(f"| {'figure':<{width}} | median / total | p99 | note |")
        print(f"|{'-' * (width + 2)}|---|---|---|")
        for name, first, second, note in self.rows:
            print(f"| {name:<{width}} | {first} | {second} | {note} |")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


# -- the data ------------------------------------------------------------------------------------


# The ledger's data lives in 100.64.0.0/10, out of the way of the synced cluster's 10.0.0.0/11.
TOP = ipaddress.IPv4Network("100.64.0.0/10")
BLOCK = 27


def _block(index: int) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network((int(TOP.network_address) + index * 2 ** (32 - BLOCK), BLOCK))


def build(ledger: Ledger, *, prefixes: int, addresses: int) -> tuple[float, int]:
    """100.64.0.0/10 and ``prefixes - 1`` /27s packed from its start; ``addresses`` addresses, ten
    in each /27 from the first (the last ones beyond the recorded /27s, still in the /10).
    Returns the seconds it took and the id of the /8."""
    start = time.perf_counter()
    new_prefixes = [NewPrefix("bench", "global", TOP)] + [
        NewPrefix("bench", "global", _block(index)) for index in range(prefixes - 1)
    ]
    ids: list[int] = []
    for first in range(0, len(new_prefixes), CHUNK):
        with ledger.transaction("bench") as tx:
            ids.extend(load_objects(tx, prefixes=new_prefixes[first : first + CHUNK]).prefix_ids)
    del new_prefixes
    for first in range(0, addresses, CHUNK):
        chunk = [
            NewAddress("bench", "global", _block(index // 10)[index % 10 + 1], holder_name=f"host-{index}")
            for index in range(first, min(first + CHUNK, addresses))
        ]
        with ledger.transaction("bench") as tx:
            load_objects(tx, addresses=chunk)
        print(
            f"  imported {first + len(chunk):,} addresses ({time.perf_counter() - start:.0f} s)", flush=True
        )
    return time.perf_counter() - start, ids[0]


def bench_token(ledger: Ledger) -> str:
    create_user(ledger, "bench", actor="bench")
    grant(ledger, "bench", AccessRole.ADMIN, actor="bench")
    _, token = create_token(ledger, "bench", name="bench", actor="bench")
    return token


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(url: str, workers: int, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [sys.executable, "-m", "ipledger", "--database", url, "serve", "--host", HOST, "--port", str(port),
               "--log-level", "warning", "--no-sync-clusters", "--workers", str(workers)]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
        base = f"http://{HOST}:{port}"
        try:
            with httpx.Client(base_url=base, timeout=5, trust_env=False) as probe:
                for _ in range(1200):
                    if process.poll() is not None:
                        raise RuntimeError(f"the server exited: {log.read_text(errors='replace')}")
                    try:
                        if probe.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.1)
            time.sleep(1.0 if workers > 1 else 0)  # every worker has started
            yield base, process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def server_pids(leader: int) -> list[int]:
    """The server process and its children (the workers)."""
    found = [leader]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == leader:
                found.append(int(entry.name))
    return found


def peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample(client: httpx.Client, url: str, *, count: int = 200, max_seconds: float = 40) -> list[float]:
    client.get(url).raise_for_status()  # warm up
    samples: list[float] = []
    deadline = time.monotonic() + max_seconds
    while len(samples) < count and time.monotonic() < deadline:
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return samples


def allocate_concurrently(base: str, token: str, parent_id: int) -> tuple[float, int, int, int]:
    """CLIENTS threads x PER_CLIENT allocations; (seconds, successes, errors, duplicates)."""
    got: list[str] = []
    errors: list[int] = []
    guard = threading.Lock()
    barrier = threading.Barrier(CLIENTS + 1)

    def client() -> None:
        with httpx.Client(base_url=base + API, timeout=120, trust_env=False,
                          headers={"Authorization": f"Bearer {token}"}) as api:  # fmt: skip
            barrier.wait()
            for _ in range(PER_CLIENT):
                response = api.post(f"/prefixes/{parent_id}/available-addresses", json={})
                with guard:
                    if response.status_code == 201:
                        got.append(response.json()[0]["address"])
                    else:
                        errors.append(response.status_code)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, len(got), len(errors), len(got) - len(set(got))


_SYNC_CHILD = """
import resource, sys, time
from pathlib import Path
from ipledger.service.ledger import Ledger
from ipledger.service.sync import sync_from_dump
ledger = Ledger.open(sys.argv[1])
start = time.perf_counter()
result = sync_from_dump(ledger, sys.argv[2], Path(sys.argv[3]), actor="bench")
print(f"{time.perf_counter() - start:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} {result.counts['pods']}")
"""


def sync_cluster(url: str, folder: Path, nodes: int) -> tuple[float, int, int]:
    dump = folder / "dump"
    if not dump.exists():
        sync_bench.write_dump(dump, "calico", nodes)
    name = "bench"
    for args in (
        ["cluster", "create", name, "--ipam-mode", "calico", "--nodes", str(nodes), "--growth", "1"],
        ["prefix", "create", "10.96.0.0/12", "--role", "service", "--managed-by", f"cluster:{name}"],
        ["prefix", "create", "10.128.0.0/16", "--role", "node", "--managed-by", f"cluster:{name}"],
    ):
        done = subprocess.run([sys.executable, "-m", "ipledger", "--database", url, *args],
                              capture_output=True, text=True, cwd=ROOT, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"ipledger {' '.join(args)}: {done.stderr}")
    done = subprocess.run([sys.executable, "-c", _SYNC_CHILD, url, name, str(dump)],
                          capture_output=True, text=True, cwd=ROOT, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    elapsed, peak, pods = done.stdout.split()
    return float(elapsed), int(peak), int(pods)


# -- one engine ----------------------------------------------------------------------------------


def run_engine(engine: str, url: str, workers: int, folder: Path, scale: float) -> Figures:
    figures = Figures(f"{engine}, {workers} server process{'es' if workers > 1 else ''}")
    prefixes, addresses = int(PREFIXES * scale), int(ADDRESSES * scale)
    print(f"\n== {figures.engine}: importing {prefixes:,} prefixes and {addresses:,} addresses", flush=True)
    ledger = Ledger.open(url)
    try:
        seconds, top_id = build(ledger, prefixes=prefixes, addresses=addresses)
        if engine == "postgresql":
            # What autovacuum does shortly after a bulk load, done at once: fresh planner statistics.
            with ledger.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        figures.total(f"import {prefixes:,} prefixes + {addresses:,} addresses", f"{seconds:.0f} s",
                      f"{addresses / seconds:,.0f} addresses/s (bulk path, {CHUNK:,} a transaction)")  # fmt: skip
        token = bench_token(ledger)
    finally:
        ledger.close()
    peaks: dict[int, int] = {}
    print(f"  {engine}: measuring over HTTP", flush=True)
    with server(url, workers, folder / f"server-{engine}.log") as (base, process):
        with httpx.Client(base_url=base + API, timeout=120, trust_env=False,
                          headers={"Authorization": f"Bearer {token}"}) as api:  # fmt: skip
            figures.timing(
                "next free address in the /10", sample(api, f"/prefixes/{top_id}/available-addresses?limit=1")
            )
            figures.timing("next free /27 in the /10",
                           sample(api, f"/prefixes/{top_id}/available-prefixes?prefixlen=27&limit=1"))  # fmt: skip
            recorded = str(_block(prefixes // 2)[3])
            figures.timing(f"whois {recorded}", sample(api, f"/whois/{recorded}"))
            offset = prefixes // 2
            figures.timing("page of 1,000 prefixes with utilization",
                           sample(api, f"/prefixes?limit=1000&offset={offset}", count=50, max_seconds=120))  # fmt: skip
            pool = api.post("/prefixes", json={"prefix": "192.168.0.0/16"})
            pool.raise_for_status()
            elapsed, ok, failed, duplicates = allocate_concurrently(base, token, pool.json()["id"])
            figures.total(f"allocation, {CLIENTS} clients x {PER_CLIENT}", f"{ok / elapsed:,.0f} /s",
                          f"{ok} allocated in {elapsed:.1f} s, {failed} errors, {duplicates} duplicates")  # fmt: skip
        for pid in server_pids(process.pid):
            peaks[pid] = peak_kib(pid)
    print(f"  {engine}: syncing a cluster", flush=True)
    elapsed, peak, pods = sync_cluster(url, folder, max(1, int(SYNC_NODES * scale)))
    figures.total(f"sync of {max(1, int(SYNC_NODES * scale)):,} nodes, {pods:,} pods", f"{elapsed:.1f} s",
                  f"peak memory of the syncing process {peak / 1024:.0f} MiB")  # fmt: skip
    worst = max(peaks.values())
    figures.total("peak memory of a server process (VmHWM)", f"{worst / 1024:.0f} MiB",
                  f"{len(peaks)} processes; {'under' if worst < ONE_GIB_KIB else 'OVER'} 1 GiB")  # fmt: skip
    return figures


def postgres_database(base: str) -> str:
    admin_url = make_url(base).set(drivername="postgresql")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return admin_url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", action="append", choices=("postgresql", "sqlite"), help="only these")
    parser.add_argument("--postgres-url", default=os.environ.get("IPLEDGER_TEST_POSTGRES_URL", POSTGRES_URL))
    parser.add_argument("--workers", type=int, default=4, help="server processes on PostgreSQL")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the sizes (1: the issue's)")
    options = parser.parse_args()
    engines = options.engine or ["postgresql", "sqlite"]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.node()}: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB; "
          f"Python {platform.python_version()}; load {os.getloadavg()[0]:.2f}")  # fmt: skip
    results = []
    with tempfile.TemporaryDirectory(prefix="ipledger-scale-") as temporary:
        folder = Path(temporary)
        for engine in engines:
            if engine == "postgresql":
                url = postgres_database(options.postgres_url)
                results.append(run_engine(engine, url, options.workers, folder, options.scale))
            else:
                url = f"sqlite+pysqlite:///{folder / 'scale.db'}"
                results.append(run_engine(engine, url, 1, folder, options.scale))
            results[-1].print()
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
