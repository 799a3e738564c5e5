"""Concurrent NetBox clients taking available IPs and prefixes from one parent never get the same
address or overlapping prefixes (the ledger serialises allocations per parent)."""

from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor

import httpx

from ipledger.service import prefixes, search
from ipledger.service.ledger import Ledger
from tests.api import tokens
from tests.api.conftest import TIMEOUT
from tests.api.factories import add_all, new_prefix

CLIENTS = 6
ROUNDS = 4


def _take(netbox_base: str, path: str, body: object) -> list[str]:
    taken = []
    headers = {"Authorization": f"Token {tokens.current['alice']}"}
    with httpx.Client(base_url=netbox_base, timeout=TIMEOUT, headers=headers) as client:
        for _ in range(ROUNDS):
            answer = client.post(path, json=body)
            assert answer.status_code == 201, answer.text
            taken.extend(item.get("address") or item["prefix"] for item in answer.json())
    return taken


def test_concurrent_available_ips_never_collide(ledger: Ledger, netbox_base: str) -> None:
    add_all(ledger, new_prefix("10.0.0.0/24"))
    key = prefixes.list_prefixes(ledger)[0][0].id
    path = f"/api/ipam/prefixes/{key}/available-ips/"
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda _: _take(netbox_base, path, [{}, {}]), range(CLIENTS)))
    taken = [address for result in results for address in result]
    assert len(taken) == len(set(taken)) == CLIENTS * ROUNDS * 2
    assert search.search_addresses(ledger, search.AddressFilter())[1] == len(taken)


def test_concurrent_available_prefixes_never_overlap(ledger: Ledger, netbox_base: str) -> None:
    add_all(ledger, new_prefix("10.0.0.0/16"))
    key = prefixes.list_prefixes(ledger)[0][0].id
    path = f"/api/ipam/prefixes/{key}/available-prefixes/"
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda _: _take(netbox_base, path, [{"prefix_length": 26}]), range(CLIENTS)))
    networks = [ipaddress.ip_network(text) for result in results for text in result]
    assert len(networks) == CLIENTS * ROUNDS
    for index, network in enumerate(networks):
        assert not any(network.overlaps(other) for other in networks[index + 1 :])
