"""Speed of the ledger's core operations at the sizes issue 2 names, in process, on SQLite.

Prints one line per figure with the target it is held against:
- import of 10,000 prefixes and 100,000 addresses (CSV, the bulk path), target under 10 s;
- next free address in a /16 holding 50,000 addresses, target under 2 ms;
- next free /24 in a /8 holding 10,000 children, target under 5 ms;
- utilization of all 10,000 prefixes (the report, and a filtered listing), target under 1 s.
Also the matching real allocations (which write and commit), for comparison.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from ipledger.core.addresses import parse_prefix
from ipledger.service.allocation import (
    allocate_addresses,
    allocate_prefixes,
    next_free_address,
    next_free_prefix,
)
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import PrefixFilter, list_prefixes
from ipledger.service.reports import utilization_report
from ipledger.service.transfer import import_csv

_REPEATS = 50


def _timed(action: Callable[[], object], repeats: int = _REPEATS) -> tuple[float, float]:
    """Median and best wall time of ``action`` in milliseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


def _report(name: str, median_ms: float, best_ms: float, target_ms: float) -> None:
    verdict = "ok" if median_ms < target_ms else "OVER TARGET"
    print(
        f"{name:<58} median {median_ms:9.3f} ms  best {best_ms:9.3f} ms  target < {target_ms:g} ms  {verdict}"
    )


def _csv(header: str, rows: list[str]) -> io.StringIO:
    return io.StringIO("\n".join([header, *rows]))


def bench_import(ledger: Ledger) -> None:
    """10,000 prefixes (a /8 and 9,999 /24 inside it), then 100,000 addresses in them."""
    prefixes = ["10.0.0.0/8,general"] + [f"10.{i // 256}.{i % 256}.0/24,pod" for i in range(9_999)]
    addresses = [
        f"10.{i // 256}.{i % 256}.{host},pod,pod-{i}-{host}" for i in range(10_000) for host in range(1, 11)
    ]
    start = time.perf_counter()
    import_csv(ledger, "prefixes", _csv("prefix,role", prefixes), actor="bench")
    middle = time.perf_counter()
    import_csv(
        ledger, "addresses", _csv("address,holder_kind,holder_name", addresses[:100_000]), actor="bench"
    )
    end = time.perf_counter()
    print(f"import 10,000 prefixes: {middle - start:.2f} s; 100,000 addresses: {end - middle:.2f} s")
    _report("import 10,000 prefixes + 100,000 addresses", (end - start) * 1000, (end - start) * 1000, 10_000)


def bench_next_address(ledger: Ledger) -> None:
    """A /16 whose first 50,000 usable addresses are taken (the worst case for a scan)."""
    rows = [f"172.16.{(i + 1) // 256}.{(i + 1) % 256}" for i in range(50_000)]
    import_csv(ledger, "prefixes", _csv("prefix", ["172.16.0.0/16"]), actor="bench")
    import_csv(ledger, "addresses", _csv("address", rows), actor="bench")
    parent = parse_prefix("172.16.0.0/16")
    found = next_free_address(ledger, parent)
    print(f"next free address in 172.16.0.0/16 with 50,000 used: {found}")
    _report(
        "next free address, /16 holding 50,000 addresses",
        *_timed(lambda: next_free_address(ledger, parent)),
        2,
    )
    _report(
        "  allocate it (write + audit + commit)",
        *_timed(lambda: allocate_addresses(ledger, parent, actor="bench"), repeats=20),
        50,
    )


def bench_next_prefix(ledger: Ledger) -> None:
    """The /8 of the import holds 9,999 /24 children packed from its start."""
    parent = parse_prefix("10.0.0.0/8")
    found = next_free_prefix(ledger, parent, prefixlen=24)
    print(f"next free /24 in 10.0.0.0/8 with 9,999 children: {found}")
    _report(
        "next free /24, /8 holding 10,000 children",
        *_timed(lambda: next_free_prefix(ledger, parent, prefixlen=24)),
        5,
    )
    _report(
        "  allocate it (write + audit + commit)",
        *_timed(lambda: allocate_prefixes(ledger, parent, prefixlen=24, actor="bench"), repeats=20),
        50,
    )


def bench_utilization(ledger: Ledger) -> None:
    report = utilization_report(ledger)
    print(f"utilization report: {len(report.rows)} prefixes, {len(report.groups)} groups")
    _report(
        "utilization of every prefix (tree + group roll-up)",
        *_timed(lambda: utilization_report(ledger), 5),
        1000,
    )
    _report(
        "prefixes at or above 85 % (indexed filter, sorted)",
        *_timed(lambda: list_prefixes(ledger, PrefixFilter(utilization_gte=85, sort="utilization")), 20),
        1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="run against this PostgreSQL URL (its tables are emptied!)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres or f"sqlite+pysqlite:///{Path(folder) / 'bench.db'}"
        if args.postgres:
            ledger = Ledger.open(url)
            with ledger.engine.begin() as connection:
                connection.execute(
                    text(
                        "DROP TABLE IF EXISTS changes, free_blocks, addresses, ranges, prefixes, groups, roles, "
                        "spaces, alembic_version CASCADE"
                    )
                )
            ledger.close()
        ledger = Ledger.open(url)
        print(f"database: {ledger.dialect}")
        bench_import(ledger)
        bench_next_address(ledger)
        bench_next_prefix(ledger)
        bench_utilization(ledger)
        ledger.close()


if __name__ == "__main__":
    main()
