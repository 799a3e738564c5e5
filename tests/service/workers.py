"""Work for the processes of the concurrency tests: open the ledger by URL and allocate, one call at a time.

This lives in its own module so that processes started with 'spawn' can import it by name.
"""

from __future__ import annotations

import os
from threading import Barrier

from ipledger.core.addresses import parse_prefix
from ipledger.service.allocation import allocate_addresses, allocate_prefixes
from ipledger.service.ledger import Ledger

__all__ = ["allocate_addresses_in", "allocate_prefixes_in", "wait_for_all"]

_start: Barrier | None = None


def wait_for_all(start: Barrier) -> None:
    """Pool initializer: keep the barrier so that every worker begins at once."""
    global _start
    _start = start


def _ready() -> None:
    if _start is not None:
        # The timeout only ends a run in which some worker never started; it never decides a pass.
        _start.wait(timeout=300)


def allocate_addresses_in(url: str, parent: str, rounds: int) -> list[str]:
    ledger = Ledger.open(url)
    try:
        _ready()
        taken: list[str] = []
        for _ in range(rounds):
            records = allocate_addresses(ledger, parse_prefix(parent), actor=f"worker-{os.getpid()}")
            taken.extend(str(record.address) for record in records)
        return taken
    finally:
        ledger.close()


def allocate_prefixes_in(url: str, parent: str, prefixlen: int, rounds: int) -> list[str]:
    ledger = Ledger.open(url)
    try:
        _ready()
        taken: list[str] = []
        for _ in range(rounds):
            records = allocate_prefixes(
                ledger, parse_prefix(parent), actor=f"worker-{os.getpid()}", prefixlen=prefixlen
            )
            taken.extend(str(record.network) for record in records)
        return taken
    finally:
        ledger.close()
