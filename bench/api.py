"""Speed of the HTTP API at the sizes issue 3 names: one real server process on SQLite, over HTTP.

Starts ``python -m ipledger --database <tmp>/api.db serve`` on a free port of 127.0.0.1, talks to
it with httpx only, and always stops it at the end. Prints a table of count, median and 99th
percentile per operation, and a verdict against each target:
- bulk-create 100,000 addresses (POST /addresses/bulk, 10,000 a request), target total under 20 s;
- next free address in a /16 holding 50,000 addresses, target median under 5 ms;
- a page of 1,000 prefixes with utilization (10,000+ prefixes recorded), target median under 150 ms;
- 20 client threads x 50 allocations each in one /22: zero duplicates, zero errors, over 300 a second.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
HOST = "127.0.0.1"
BULK = 10_000
STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 120.0

# Address /16 for the next-free figure: its first 50,000 usable addresses are taken.
DENSE_PARENT = "172.16.0.0/16"
DENSE_COUNT = 50_000
# The /22 the concurrent clients allocate from (1,022 usable addresses, 1,000 are taken).
POOL_PARENT = "192.168.0.0/22"
CLIENTS = 20
PER_CLIENT = 50


# Figures


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(slots=True)
class Row:
    """One line of the table: the samples of an operation (ms) and, optionally, its target."""

    name: str
    samples_ms: list[float]
    target: str = ""
    verdict: str = ""
    note: str = ""


@dataclass(slots=True)
class Results:
    rows: list[Row] = field(default_factory=list)
    verdicts: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def judge(self, row: Row, target: str, met: bool, note: str = "") -> None:
        row.target = target
        row.verdict = "ok" if met else "MISSED"
        row.note = note
        self.verdicts.append((row.name, met, f"{target}: {note}" if note else target))

    def print_table(self) -> None:
        name_width = max(len(row.name) for row in self.rows)
        header = (
            f"{'operation':<{name_width}}  {'count':>6}  {'median ms':>10}  {'p99 ms':>10}  "
            f"{'target':<22}  verdict"
        )
        print()
        print(header)
        print("-" * len(header))
        for row in self.rows:
            median = statistics.median(row.samples_ms) if row.samples_ms else float("nan")
            p99 = percentile(row.samples_ms, 0.99) if row.samples_ms else float("nan")
            print(
                f"{row.name:<{name_width}}  {len(row.samples_ms):>6}  {median:>10.2f}  {p99:>10.2f}  "
                f"{row.target:<22}  {row.verdict}{'  (' + row.note + ')' if row.note else ''}"
            )
        print()
        for name, met, detail in self.verdicts:
            print(f"{'MET   ' if met else 'MISSED'}  {name}: {detail}")


def timed(action: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = action()
    return (time.perf_counter() - start) * 1000, response


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered {response.status_code}, "
            f"not {status}: {response.text[:500]}"
        )
    return response.json()


def sample(
    client: httpx.Client, url: str, *, max_count: int, max_seconds: float, warmup: int = 3
) -> tuple[list[float], httpx.Response]:
    """GET ``url`` up to ``max_count`` times or for ``max_seconds``, whichever ends first."""
    last = None
    for _ in range(warmup):
        last = client.get(url)
        expect(last, 200)
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(samples) < max_count and time.perf_counter() < deadline:
        elapsed, last = timed(lambda: client.get(url))
        expect(last, 200)
        samples.append(elapsed)
    assert last is not None
    return samples, last


# The server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(folder: Path) -> Iterator[str]:
    """One ``ipledger serve`` process on a fresh SQLite file; yields its base URL, then stops it."""
    port = free_port()
    database = f"sqlite+pysqlite:///{folder / 'api.db'}"
    log_path = folder / "server.log"
    command = [
        sys.executable,
        "-m",
        "ipledger",
        "--database",
        database,
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    base = f"http://{HOST}:{port}"
    _TOKEN["bench"] = api_token(database)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent
        )
        try:
            wait_until_up(process, base, log_path)
            print(f"server: pid {process.pid} on {base}, database {database}")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
    # The banner of `serve` is expected; anything else it logged is worth seeing.
    problems = "\n".join(
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if line.strip() and not line.startswith("ipledger API on ")
    )
    if problems:
        print(f"\nserver log ({log_path.name}, last lines):")
        print("\n".join(problems.splitlines()[-20:]))


def wait_until_up(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=base, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}"
                )
            try:
                if client.get(f"{API}/openapi.json").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {STARTUP_TIMEOUT_S:g} s")


def api_token(database: str) -> str:
    """A service account ``bench``, admin everywhere, and an API token for it (via the CLI)."""
    root = Path(__file__).resolve().parent.parent
    for args in (
        ["init"],
        ["user", "create", "bench", "--service"],
        ["user", "grant", "bench", "--role", "admin"],
    ):
        subprocess.run(
            [sys.executable, "-m", "ipledger", "--database", database, *args],
            check=True,
            cwd=root,
            capture_output=True,
        )
    done = subprocess.run(
        [sys.executable, "-m", "ipledger", "--database", database, "token", "create", "bench", "--name", "bench"],
        check=True, cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


_TOKEN: dict[str, str] = {}


def new_client(base: str) -> httpx.Client:
    return httpx.Client(
        base_url=base,
        timeout=REQUEST_TIMEOUT_S,
        trust_env=False,
        headers={"Authorization": f"Bearer {_TOKEN['bench']}"},
    )


# The benchmarks


def bench_bulk(client: httpx.Client, results: Results) -> None:
    """A /8 and 9,999 /24s packed from its start (one bulk request), then 10 addresses in each /24."""
    prefixes = [{"prefix": "10.0.0.0/8"}] + [
        {"prefix": f"10.{i // 256}.{i % 256}.0/24", "role": "pod"} for i in range(9_999)
    ]
    elapsed, response = timed(lambda: client.post(f"{API}/prefixes/bulk", json=prefixes))
    created = expect(response, 201)
    assert created["count"] == len(prefixes), created["count"]
    results.add(Row("bulk-create prefixes (10,000 a request)", [elapsed]))

    addresses = [
        {
            "address": f"10.{i // 256}.{i % 256}.{host}",
            "holder_kind": "pod",
            "holder_name": f"pod-{i}-{host}",
        }
        for i in range(10_000)
        for host in range(1, 11)
    ]
    samples: list[float] = []
    start = time.perf_counter()
    for first in range(0, len(addresses), BULK):
        batch = addresses[first : first + BULK]
        elapsed, response = timed(lambda batch=batch: client.post(f"{API}/addresses/bulk", json=batch))
        assert expect(response, 201)["count"] == len(batch)
        samples.append(elapsed)
    total_s = time.perf_counter() - start
    row = results.add(Row("bulk-create 100,000 addresses (per request)", samples))
    results.judge(
        row,
        "total < 20 s",
        total_s < 20,
        f"total {total_s:.2f} s, {len(addresses) / total_s:,.0f} addresses/s; "
        f"1st request {samples[0] / 1000:.2f} s, last {samples[-1] / 1000:.2f} s",
    )


def bench_next_address(client: httpx.Client, results: Results) -> None:
    """A /16 whose first 50,000 usable addresses are taken (the worst case for a scan)."""
    parent = expect(client.post(f"{API}/prefixes", json={"prefix": DENSE_PARENT}), 201)
    rows = [{"address": f"172.16.{(i + 1) // 256}.{(i + 1) % 256}"} for i in range(DENSE_COUNT)]
    samples: list[float] = []
    for first in range(0, len(rows), BULK):
        batch = rows[first : first + BULK]
        elapsed, response = timed(lambda batch=batch: client.post(f"{API}/addresses/bulk", json=batch))
        expect(response, 201)
        samples.append(elapsed)
    results.add(Row("  setup: 50,000 addresses in the /16 (per request)", samples))

    url = f"{API}/prefixes/{parent['id']}/available-addresses?limit=1"
    samples, last = sample(client, url, max_count=300, max_seconds=30)
    body = last.json()
    expected = f"172.16.{(DENSE_COUNT + 1) // 256}.{(DENSE_COUNT + 1) % 256}"
    if body["next_address"] != expected:
        raise RuntimeError(f"next_address is {body['next_address']}, expected {expected}")
    row = results.add(Row("next free address, /16 holding 50,000", samples))
    median = statistics.median(samples)
    results.judge(row, "median < 5 ms", median < 5, f"median {median:.2f} ms, next {expected}")

    # The floor of any request on this stack: reading one small object.
    samples, _ = sample(client, f"{API}/prefixes/{parent['id']}", max_count=300, max_seconds=30)
    results.add(Row("  for comparison: GET that one prefix", samples))


def bench_prefix_page(client: httpx.Client, results: Results) -> None:
    url = f"{API}/prefixes?limit=1000"
    samples, last = sample(client, url, max_count=50, max_seconds=60, warmup=2)
    page = last.json()
    if len(page["items"]) != 1000 or page["total"] < 10_000:
        raise RuntimeError(f"page of {len(page['items'])} of {page['total']} prefixes")
    if "percent" not in page["items"][0]["utilization"]:
        raise RuntimeError("the listing carries no utilization")
    row = results.add(Row(f"page of 1,000 prefixes ({page['total']:,} recorded)", samples))
    median = statistics.median(samples)
    results.judge(row, "median < 150 ms", median < 150, f"median {median:.1f} ms")

    deep = f"{API}/prefixes?limit=1000&offset=9000"
    samples, _ = sample(client, deep, max_count=20, max_seconds=30, warmup=1)
    results.add(Row("  for comparison: the page at offset 9,000", samples))


def bench_concurrent(base: str, client: httpx.Client, results: Results) -> None:
    parent = expect(client.post(f"{API}/prefixes", json={"prefix": POOL_PARENT}), 201)
    url = f"{API}/prefixes/{parent['id']}/available-addresses"
    barrier = threading.Barrier(CLIENTS + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    taken: list[str] = []
    errors: list[str] = []

    def worker(number: int) -> None:
        mine: list[float] = []
        got: list[str] = []
        failed: list[str] = []
        with new_client(base) as own:
            own.get(f"{API}/prefixes/{parent['id']}")  # open the connection before the start
            barrier.wait(timeout=60)
            for index in range(PER_CLIENT):
                body = {"count": 1, "holder_kind": "vm", "holder_name": f"client-{number}-{index}"}
                try:
                    elapsed, response = timed(lambda body=body: own.post(url, json=body))
                except httpx.HTTPError as error:
                    failed.append(f"client {number}: {type(error).__name__}: {error}")
                    continue
                mine.append(elapsed)
                if response.status_code == 201:
                    got.extend(item["address"] for item in response.json())
                else:
                    failed.append(f"client {number}: {response.status_code} {response.text[:200]}")
        with lock:
            latencies.extend(mine)
            taken.extend(got)
            errors.extend(failed)

    threads = [threading.Thread(target=worker, args=(number,), daemon=True) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    wall_s = time.perf_counter() - start
    if any(thread.is_alive() for thread in threads):
        errors.append("a client thread did not finish within 300 s")

    duplicates = len(taken) - len(set(taken))
    # What the server recorded must match what the clients were given.
    recorded = expect(client.get(f"{API}/addresses", params={"within": POOL_PARENT, "limit": 1}), 200)
    rate = len(taken) / wall_s
    row = results.add(Row(f"allocate 1 address, {CLIENTS} clients x {PER_CLIENT}", latencies))
    met = duplicates == 0 and not errors and rate > 300 and recorded["total"] == CLIENTS * PER_CLIENT
    results.judge(
        row,
        "0 dup, 0 err, > 300/s",
        met,
        f"{len(taken)} allocated in {wall_s:.2f} s = {rate:.0f}/s, {duplicates} duplicates, "
        f"{len(errors)} errors, {recorded['total']} recorded in the /22",
    )
    for message in errors[:5]:
        print(f"  error: {message}")


def _load() -> str:
    """The load average: the figures only mean something on an otherwise idle machine."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", choices=("bulk", "next", "page", "concurrent"), help="run only these steps"
    )
    only = parser.parse_args().only
    results = Results()
    with tempfile.TemporaryDirectory(prefix="ipledger-bench-") as folder:
        with server(Path(folder)) as base, new_client(base) as client:
            print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {_load()}")
            steps: list[tuple[str, str, Callable[[], None]]] = [
                ("bulk", "bulk create", lambda: bench_bulk(client, results)),
                ("next", "next free address", lambda: bench_next_address(client, results)),
                ("page", "page of prefixes", lambda: bench_prefix_page(client, results)),
                ("concurrent", "concurrent allocation", lambda: bench_concurrent(base, client, results)),
            ]
            for key, name, step in steps:
                if only and key not in only:
                    continue
                start = time.perf_counter()
                step()
                print(f"{name}: done in {time.perf_counter() - start:.1f} s ({_load()})", flush=True)
        results.print_table()
    return 0 if all(met for _, met, _ in results.verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
