"""Concurrency for real: many HTTP clients allocating from the same parents at once, through one
server on either engine and through two server processes on one database, never get the same
address or overlapping prefixes, and every request succeeds.

Threads are released together by a barrier; its timeout only ends a run in which some client
never started, it never decides a pass. Nothing here measures time.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import httpx
import pytest

from ipledger.service.ledger import Ledger
from ipledger.store.models import Address, Prefix
from tests.api import tokens
from tests.api.conftest import client_of, sign_in
from tests.api.server import serve_in_process
from tests.service.factories import add_prefix, count_rows, usage_of

pytestmark = pytest.mark.slow

THREADS = 16
ROUNDS = 10
ADDRESS_PARENT = "10.0.0.0/24"
PREFIX_PARENT = "10.1.0.0/20"
_BARRIER_TIMEOUT = 300


def _hammer(
    bases: Sequence[str], parents: tuple[int, int], *, threads: int, rounds: int
) -> list[httpx.Response]:
    """``threads`` clients (spread over ``bases``), each alternating an address and a /28 request
    ``rounds`` times, all released at once; every response, in no particular order."""
    address_parent, prefix_parent = parents
    start = threading.Barrier(threads)

    def client(index: int) -> list[httpx.Response]:
        with client_of(bases[index % len(bases)]) as api:
            start.wait(timeout=_BARRIER_TIMEOUT)
            responses = []
            for round_ in range(rounds):
                if (index + round_) % 2 == 0:
                    url, body = (
                        f"/prefixes/{address_parent}/available-addresses",
                        {"holder_name": f"c{index}"},
                    )
                else:
                    url, body = f"/prefixes/{prefix_parent}/available-prefixes", {"prefixlen": 28}
                response = api.post(url, json=body)
                response.read()
                responses.append(response)
            return responses

    with ThreadPoolExecutor(threads) as pool:
        return [response for result in pool.map(client, range(threads)) for response in result]


def _parents(ledger: Ledger) -> tuple[int, int]:
    return add_prefix(ledger, ADDRESS_PARENT).id, add_prefix(ledger, PREFIX_PARENT).id


def _check_no_collision(ledger: Ledger, responses: list[httpx.Response], *, expected: int) -> None:
    """Every request got 201, the results are distinct and the stored rows and counters match."""
    assert [response.status_code for response in responses if response.status_code != 201] == []
    by_kind: dict[str, list[str]] = {"address": [], "prefix": []}
    for response in responses:
        for item in response.json():
            by_kind["address" if "address" in item else "prefix"].append(
                item.get("address") or item["prefix"]
            )
    addresses = sorted(by_kind["address"], key=ipaddress.ip_address)
    prefixes = sorted((ipaddress.ip_network(cidr) for cidr in by_kind["prefix"]), key=lambda block: block[0])
    half = expected // 2

    assert len(addresses) == len(set(addresses)) == half
    assert addresses == [f"10.0.0.{host}" for host in range(1, half + 1)], "lowest free first, no gap"
    assert len(prefixes) == half
    assert all(not low.overlaps(high) for low, high in pairwise(prefixes))
    assert all(
        block.prefixlen == 28 and block.subnet_of(ipaddress.ip_network(PREFIX_PARENT)) for block in prefixes
    )
    assert count_rows(ledger, Address) == half
    assert count_rows(ledger, Prefix) == 2 + half
    assert usage_of(ledger, ADDRESS_PARENT).used == half
    assert usage_of(ledger, PREFIX_PARENT).covered == half * 16


def test_concurrency_threads_through_one_server_never_collide(api_base: str, ledger: Ledger) -> None:
    parents = _parents(ledger)

    responses = _hammer([api_base], parents, threads=THREADS, rounds=ROUNDS)

    assert len(responses) == THREADS * ROUNDS
    _check_no_collision(ledger, responses, expected=THREADS * ROUNDS)


# Two server processes share a database on PostgreSQL (a SQLite file stays with one host).
@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
def test_concurrency_two_server_processes_never_collide(ledger: Ledger, ledger_url: str) -> None:
    parents = _parents(ledger)
    tokens.current["alice"] = sign_in(ledger)

    with serve_in_process(ledger_url) as first, serve_in_process(ledger_url) as second:
        responses = _hammer(
            [f"{first}/api/v1", f"{second}/api/v1"], parents, threads=THREADS, rounds=ROUNDS // 2
        )

    assert len(responses) == THREADS * ROUNDS // 2
    _check_no_collision(ledger, responses, expected=THREADS * ROUNDS // 2)


def test_concurrency_same_idempotency_key_allocates_once(api_base: str, ledger: Ledger) -> None:
    """Retries racing each other: one runs, the others are told to wait for it (409, retryable,
    Retry-After) or replay its answer; a retry after the race gets that same answer. Three races,
    each with its own key, so that a window between two claims of one key is found if it exists."""
    parent = add_prefix(ledger, ADDRESS_PARENT).id
    url = f"/prefixes/{parent}/available-addresses"
    not_told_to_wait: list[dict[str, str]] = []
    for race, key in enumerate(("first", "second", "third")):
        start = threading.Barrier(THREADS)

        def retry(_index: int, key: str = key, start: threading.Barrier = start) -> httpx.Response:
            with client_of(api_base) as api:
                start.wait(timeout=_BARRIER_TIMEOUT)
                return api.post(url, json={"count": 2}, headers={"Idempotency-Key": key})

        with ThreadPoolExecutor(THREADS) as pool:
            responses = list(pool.map(retry, range(THREADS)))
        with client_of(api_base) as api:
            final = api.post(url, json={"count": 2}, headers={"Idempotency-Key": key})

        assert final.status_code == 201
        assert [item["address"] for item in final.json()] == [
            f"10.0.0.{2 * race + 1}",
            f"10.0.0.{2 * race + 2}",
        ]
        assert all(response.json() == final.json() for response in responses if response.status_code == 201)
        not_told_to_wait += [
            response.json() | {"retry-after": response.headers.get("Retry-After", "")}
            for response in responses
            if response.status_code != 201
            and not ("still running" in response.json()["detail"] and response.headers.get("Retry-After"))
        ]

    assert not_told_to_wait == []
    assert count_rows(ledger, Address) == 6
