"""Concurrency for real: processes allocating from one parent at once never collide, and reads never wait.

Each test starts four processes ('spawn', so each opens its own connections) that all allocate
from the same parent on the same SQLite file or PostgreSQL database, released together by a
barrier. Afterwards the results must be distinct, the stored rows must match them one for one,
and the counters and free blocks must equal a recount from scratch.
"""

from __future__ import annotations

import ipaddress
import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url

from ipledger.service.addresses import list_addresses
from ipledger.service.allocation import list_free_space, next_free_address
from ipledger.service.audit import list_changes
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import PrefixFilter, list_prefixes, show_prefix
from tests.service.factories import add_address, add_prefix, add_range, net, span, usage_of
from tests.service.recount import check_against_recount
from tests.service.workers import allocate_addresses_in, allocate_prefixes_in, wait_for_all

pytestmark = pytest.mark.slow

WORKERS = 4
ROUNDS = 25


def _run_together(*tasks: tuple[Callable[..., list[str]], tuple[Any, ...]]) -> list[list[str]]:
    """Run each task in its own 'spawn' process, all released at once; their results in order."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(tasks))
    with ProcessPoolExecutor(
        len(tasks), mp_context=context, initializer=wait_for_all, initargs=(start,)
    ) as pool:
        futures = [pool.submit(task, *args) for task, args in tasks]
        return [future.result() for future in futures]


def test_concurrency_addresses_from_one_prefix_never_collide(ledger: Ledger, ledger_url: str) -> None:
    add_prefix(ledger, "10.0.0.0/24")

    results = _run_together(*[(allocate_addresses_in, (ledger_url, "10.0.0.0/24", ROUNDS))] * WORKERS)

    taken = [address for result in results for address in result]
    assert [len(result) for result in results] == [ROUNDS] * WORKERS
    assert len(set(taken)) == WORKERS * ROUNDS
    assert sorted(taken, key=ipaddress.ip_address) == [f"10.0.0.{n}" for n in range(1, WORKERS * ROUNDS + 1)]
    assert sorted(str(record.address) for record in list_addresses(ledger)) == sorted(taken)
    assert usage_of(ledger, "10.0.0.0/24").used == WORKERS * ROUNDS
    assert len(list_changes(ledger, object_kind="address", limit=None)) == WORKERS * ROUNDS
    check_against_recount(ledger, "after concurrent address allocations")


def test_concurrency_prefixes_from_one_parent_never_overlap(ledger: Ledger, ledger_url: str) -> None:
    add_prefix(ledger, "10.1.0.0/16")

    results = _run_together(*[(allocate_prefixes_in, (ledger_url, "10.1.0.0/16", 28, ROUNDS))] * WORKERS)

    taken = sorted((ipaddress.ip_network(cidr) for result in results for cidr in result), key=_first_of)
    assert [len(result) for result in results] == [ROUNDS] * WORKERS
    assert len(taken) == WORKERS * ROUNDS
    assert all(not low.overlaps(high) for low, high in pairwise(taken))
    assert all(network.subnet_of(net("10.1.0.0/16")) for network in taken)  # type: ignore[arg-type]
    children = show_prefix(ledger, net("10.1.0.0/16")).children
    assert sorted(str(record.network) for record in children) == sorted(str(network) for network in taken)
    assert usage_of(ledger, "10.1.0.0/16").covered == WORKERS * ROUNDS * 16
    check_against_recount(ledger, "after concurrent prefix allocations")


def test_concurrency_addresses_and_prefixes_in_one_tree_stay_consistent(
    ledger: Ledger, ledger_url: str
) -> None:
    add_prefix(ledger, "10.2.0.0/16")
    add_prefix(ledger, "10.2.0.0/24")
    add_prefix(ledger, "10.2.1.0/24")

    results = _run_together(
        (allocate_addresses_in, (ledger_url, "10.2.0.0/24", ROUNDS)),
        (allocate_addresses_in, (ledger_url, "10.2.1.0/24", ROUNDS)),
        (allocate_prefixes_in, (ledger_url, "10.2.0.0/16", 28, ROUNDS)),
        (allocate_prefixes_in, (ledger_url, "10.2.0.0/16", 27, ROUNDS)),
    )

    assert [len(result) for result in results] == [ROUNDS] * 4
    assert len({address for result in results[:2] for address in result}) == 2 * ROUNDS
    assert usage_of(ledger, "10.2.0.0/16").used == 2 * ROUNDS
    assert usage_of(ledger, "10.2.0.0/16").covered == 2 * 256 + ROUNDS * (16 + 32)
    check_against_recount(ledger, "after concurrent allocations in one tree")


def _first_of(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> int:
    return int(network.network_address)


@contextmanager
def _writer_holding_locks(url: str) -> Iterator[None]:
    """Another client in the middle of a write: the database's write lock, or every prefix row locked."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE prefixes SET description = 'being written'")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        connection.execute("SELECT id FROM spaces FOR UPDATE")
        connection.execute("SELECT id FROM prefixes FOR UPDATE")
        connection.execute("SELECT id FROM ranges FOR UPDATE")
        yield
        connection.rollback()


def _impatient(url: str) -> Ledger:
    """The same database, but a read that waits for a row lock fails at once instead of hanging."""
    if url.startswith("sqlite"):
        return Ledger.open(url)
    return Ledger.open(
        make_url(url).update_query_dict({"options": "-c lock_timeout=1"}).render_as_string(False)
    )


_READS: list[tuple[str, Callable[[Ledger], object]]] = [
    ("next-address-in-prefix", lambda ledger: next_free_address(ledger, net("10.0.0.0/24"))),
    ("next-address-in-range", lambda ledger: next_free_address(ledger, span("10.0.0.10-10.0.0.20"))),
    ("free-space", lambda ledger: list_free_space(ledger, net("10.0.0.0/24"))),
    ("show-prefix", lambda ledger: show_prefix(ledger, net("10.0.0.0/24"))),
    ("list-prefixes", lambda ledger: list_prefixes(ledger, PrefixFilter())),
    ("list-addresses", lambda ledger: list_addresses(ledger)),
]


@pytest.mark.parametrize("read", [read for _, read in _READS], ids=[name for name, _ in _READS])
def test_concurrency_reads_never_wait_for_a_writer(
    ledger: Ledger, ledger_url: str, read: Callable[[Ledger], object]
) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")
    add_address(ledger, "10.0.0.1")
    expected = read(ledger)
    reader = _impatient(ledger_url)
    try:
        with _writer_holding_locks(ledger_url):
            assert read(reader) == expected
    finally:
        reader.close()
