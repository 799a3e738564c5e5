"""Bulk create and bulk delete over HTTP: all or nothing, and a refusal names the item at fault."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ipledger.service.ledger import Ledger
from tests.api.kinds import KINDS, Kind, kind_params
from tests.api.problems import assert_problem
from tests.service.factories import add_address, add_prefix, count_rows, stored_state

_BY_NAME = {kind.name: kind for kind in KINDS}


@pytest.mark.parametrize("kind", kind_params())
def test_bulk_create_records_every_item(api: httpx.Client, ledger: Ledger, kind: Kind) -> None:
    kind.prepare(ledger)

    response = api.post(f"{kind.path}/bulk", json=kind.bulk_items(30))

    assert response.status_code == 201
    assert response.json()["count"] == 30
    assert len(set(response.json()["ids"])) == 30
    assert count_rows(ledger, kind.model) == 30
    listed = api.get(kind.path, params={"limit": 1000}).json()
    assert {item["id"] for item in listed["items"]} >= set(response.json()["ids"])


# Each case: the kind, the bad second item, the status and what the answer must name.
_BAD_ITEMS = [
    pytest.param("prefix", {"prefix": "10.1.9.1/24"}, 400, "items[1].prefix", id="prefix-host-bits"),
    pytest.param(
        "prefix", {"prefix": "10.1.9.0/24", "role": "nope"}, 400, "items[1]", id="prefix-unknown-role"
    ),
    pytest.param(
        "prefix", {"prefix": "10.1.9.0/24", "status": "nope"}, 400, "items[1]", id="prefix-unknown-status"
    ),
    pytest.param("prefix", {"prefix": "10.9.0.0/16"}, 409, "items[1]", id="prefix-already-recorded"),
    pytest.param("prefix", {"prefix": "10.1.9.0/24", "bogus": 1}, 422, "items[1]", id="prefix-unknown-field"),
    pytest.param("range", {"range": "10.0.0.15-10.0.0.30"}, 409, "items[1]", id="range-overlap"),
    pytest.param(
        "range", {"range": "10.0.9.1-10.0.9.5", "status": "nope"}, 400, "items[1]", id="range-unknown-status"
    ),
    pytest.param("range", {"range": "192.0.2.1-192.0.2.9"}, None, "items[1]", id="range-outside-prefixes"),
    pytest.param("address", {"address": "10.0.9.1", "mac": "zz"}, 400, "items[1]", id="address-bad-mac"),
    pytest.param(
        "address", {"address": "10.0.9.1", "status": "nope"}, 400, "items[1]", id="address-unknown-status"
    ),
    pytest.param(
        "address",
        {"address": "10.0.9.1", "holder_kind": "alien"},
        400,
        "items[1]",
        id="address-unknown-holder-kind",
    ),
    pytest.param("address", {"address": "10.0.0.1"}, 409, "items[1]", id="address-twice-in-request"),
    pytest.param("address", {"address": "10.0.9.1", "count": 1}, 422, "items[1]", id="address-unknown-field"),
]


@pytest.mark.parametrize(("kind_name", "bad", "status", "names"), _BAD_ITEMS)
def test_bulk_create_with_one_bad_item_writes_nothing(
    api: httpx.Client, ledger: Ledger, kind_name: str, bad: dict[str, Any], status: int | None, names: str
) -> None:
    kind = _BY_NAME[kind_name]
    kind.prepare(ledger)
    add_prefix(ledger, "10.9.0.0/16")
    add_address(ledger, "10.9.0.1")
    items = [*kind.bulk_items(1), bad, *kind.bulk_items(3)[2:]]
    before = stored_state(ledger)

    response = api.post(f"{kind.path}/bulk", json=items)

    assert 400 <= response.status_code < 500
    body = assert_problem(response, status or response.status_code)
    assert names in body["detail"] or body.get("field") == names, body
    assert stored_state(ledger) == before


def test_bulk_create_of_nothing_is_bad_input(api: httpx.Client, ledger: Ledger) -> None:
    before = stored_state(ledger)

    for kind in KINDS:
        assert_problem(api.post(f"{kind.path}/bulk", json=[]), 400, detail_has=("0",))
    assert stored_state(ledger) == before


@pytest.mark.parametrize("kind", kind_params())
def test_bulk_delete_removes_every_item(api: httpx.Client, ledger: Ledger, kind: Kind) -> None:
    kind.prepare(ledger)
    ids = api.post(f"{kind.path}/bulk", json=kind.bulk_items(5)).json()["ids"]
    before = count_rows(ledger, kind.model)

    response = api.post(f"{kind.path}/bulk-delete", json={"ids": ids[:4]})

    assert response.status_code == 200
    assert response.json() == {"count": 4, "ids": ids[:4]}
    assert count_rows(ledger, kind.model) == before - 4
    assert [kind.exists(ledger, key) for key in ids] == [False, False, False, False, True]


@pytest.mark.parametrize("kind", kind_params())
def test_bulk_delete_with_unknown_id_deletes_nothing(api: httpx.Client, ledger: Ledger, kind: Kind) -> None:
    kind.prepare(ledger)
    ids = api.post(f"{kind.path}/bulk", json=kind.bulk_items(3)).json()["ids"]
    before = stored_state(ledger)

    response = api.post(f"{kind.path}/bulk-delete", json={"ids": [ids[0], 99_999, ids[1]]})

    assert_problem(response, 404, detail_has=("99999",))
    assert stored_state(ledger) == before


def test_bulk_delete_of_nothing_is_refused(api: httpx.Client) -> None:
    for kind in KINDS:
        assert_problem(api.post(f"{kind.path}/bulk-delete", json={"ids": []}), 422, field="ids")
