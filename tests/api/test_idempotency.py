"""Idempotency-Key over HTTP: a retried POST gets the first answer instead of a second allocation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ipledger.service import allocation
from ipledger.service.ledger import Ledger
from ipledger.store.models import Address, Prefix
from tests.api.conftest import client_of
from tests.api.problems import assert_problem
from tests.service.factories import add_prefix, count_rows

# Each case: the path under the parent, the body, the model that counts what was allocated.
_ALLOCATIONS = [
    pytest.param("available-addresses", {"count": 2, "holder_name": "web"}, Address, id="addresses"),
    pytest.param("available-prefixes", {"prefixlen": 28, "count": 2}, Prefix, id="prefixes"),
]


@pytest.mark.parametrize(("path", "body", "model"), _ALLOCATIONS)
def test_idempotency_retry_replays_the_first_result(
    api: httpx.Client, ledger: Ledger, path: str, body: dict[str, Any], model: type[Address | Prefix]
) -> None:
    parent = add_prefix(ledger, "10.0.0.0/24")
    before = count_rows(ledger, model)
    url = f"/prefixes/{parent.id}/{path}"

    first = api.post(url, json=body, headers={"Idempotency-Key": "deploy-42"})
    retry = api.post(url, json=body, headers={"Idempotency-Key": "deploy-42"})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert count_rows(ledger, model) == before + 2


def test_idempotency_other_keys_allocate_again(api: httpx.Client, ledger: Ledger) -> None:
    parent = add_prefix(ledger, "10.0.0.0/24")
    url = f"/prefixes/{parent.id}/available-addresses"

    first = api.post(url, json={}, headers={"Idempotency-Key": "a"})
    second = api.post(url, json={}, headers={"Idempotency-Key": "b"})
    third = api.post(url, json={})

    assert [response.json()[0]["address"] for response in (first, second, third)] == [
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.3",
    ]
    assert count_rows(ledger, Address) == 3


def test_idempotency_same_key_for_another_request_is_bad_input(api: httpx.Client, ledger: Ledger) -> None:
    parent = add_prefix(ledger, "10.0.0.0/24")
    url = f"/prefixes/{parent.id}/available-addresses"
    api.post(url, json={"count": 1}, headers={"Idempotency-Key": "deploy-42"})

    assert_problem(
        api.post(url, json={"count": 2}, headers={"Idempotency-Key": "deploy-42"}),
        400,
        detail_has=("deploy-42",),
    )
    assert count_rows(ledger, Address) == 1


def test_idempotency_same_key_on_another_parent_is_bad_input(api: httpx.Client, ledger: Ledger) -> None:
    first = add_prefix(ledger, "10.0.0.0/24")
    second = add_prefix(ledger, "10.0.1.0/24")
    api.post(f"/prefixes/{first.id}/available-addresses", json={}, headers={"Idempotency-Key": "k"})

    response = api.post(
        f"/prefixes/{second.id}/available-addresses", json={}, headers={"Idempotency-Key": "k"}
    )

    assert_problem(response, 400, detail_has=("k",))
    assert count_rows(ledger, Address) == 1


def test_idempotency_failed_request_does_not_burn_the_key(api: httpx.Client, ledger: Ledger) -> None:
    parent = add_prefix(ledger, "10.0.0.0/30")
    url = f"/prefixes/{parent.id}/available-addresses"
    taken = api.post(url, json={"count": 2}).json()
    assert_problem(api.post(url, json={}, headers={"Idempotency-Key": "retry-me"}), 409)
    assert api.delete(f"/addresses/{taken[1]['id']}").status_code == 204

    retry = api.post(url, json={}, headers={"Idempotency-Key": "retry-me"})
    replay = api.post(url, json={}, headers={"Idempotency-Key": "retry-me"})

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert [item["address"] for item in retry.json()] == ["10.0.0.2"]
    assert replay.json() == retry.json()
    assert count_rows(ledger, Address) == 2


def test_idempotency_retried_create_records_once(api: httpx.Client, ledger: Ledger) -> None:
    body = {"prefix": "10.0.0.0/24", "description": "from the pipeline"}

    first = api.post("/prefixes", json=body, headers={"Idempotency-Key": "create-1"})
    retry = api.post("/prefixes", json=body, headers={"Idempotency-Key": "create-1"})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert count_rows(ledger, Prefix) == 1


def test_idempotency_key_too_long_is_bad_input(api: httpx.Client, ledger: Ledger) -> None:
    parent = add_prefix(ledger, "10.0.0.0/24")

    response = api.post(
        f"/prefixes/{parent.id}/available-addresses", json={}, headers={"Idempotency-Key": "k" * 256}
    )

    assert_problem(response, 400, detail_has=("Idempotency-Key",))
    assert count_rows(ledger, Address) == 0


def test_idempotency_unexpected_failure_does_not_burn_the_key(
    api: httpx.Client, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = add_prefix(ledger, "10.0.0.0/24")
    url = f"/prefixes/{parent.id}/available-addresses"
    real = allocation.allocate_addresses_of

    def fail_once(*args: Any, **options: Any) -> Any:
        monkeypatch.setattr(allocation, "allocate_addresses_of", real)
        raise RuntimeError("connection to the database lost mid-request")

    monkeypatch.setattr(allocation, "allocate_addresses_of", fail_once)
    assert_problem(api.post(url, json={}, headers={"Idempotency-Key": "after-500"}), 500)

    # After a 500 the server closes the connection, so the pipeline's retry comes on a new one.
    with client_of(str(api.base_url)) as retrying:
        retry = retrying.post(url, json={}, headers={"Idempotency-Key": "after-500"})

    assert retry.status_code == 201, retry.text
    assert [item["address"] for item in retry.json()] == ["10.0.0.1"]
    assert count_rows(ledger, Address) == 1
