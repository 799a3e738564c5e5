"""Ranges and addresses over HTTP: create, every listing filter, paging and the query count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ipledger.service.addresses import show_address
from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space
from tests.api.conftest import QueryCounter
from tests.api.factories import add_all, new_address, new_prefix, new_range
from tests.api.paging import walk_pages
from tests.api.problems import assert_problem
from tests.service.factories import ACTOR, add_group, add_prefix, ip, prefix_of


def _listed(api: httpx.Client, path: str, key: str, **params: Any) -> list[str]:
    response = api.get(path, params={"limit": 5000, **params})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return [f"{item['space']}:{item[key]}" for item in page["items"]]


@pytest.fixture
def inventory(ledger: Ledger) -> None:
    """Ranges and addresses that each filter tells apart (see the tables below)."""
    add_group(ledger, "k8s/prod")
    create_space(ledger, "lab", actor=ACTOR)
    add_all(
        ledger,
        new_prefix("10.0.0.0/16"),
        new_prefix("2001:db8::/48"),
        new_prefix("10.0.0.0/16", space="lab"),
        new_range(
            "10.0.1.10-10.0.1.99", group="k8s", role="loadbalancer", tags=("lb",), description="MetalLB pool"
        ),
        new_range("10.0.2.10-10.0.2.20", group="k8s/prod", status="reserved", managed_by="terraform"),
        new_range("2001:db8::100-2001:db8::1ff"),
        new_range("10.0.1.10-10.0.1.20", space="lab"),
        new_address("10.0.1.15", holder_kind="vm", holder_name="web-1", group="k8s", tags=("web",)),
        new_address(
            "10.0.2.5", holder_kind="node", dns_name="node5.example.net", group="k8s/prod", status="reserved"
        ),
        new_address("10.0.3.7", mac="52:54:00:12:34:56"),
        new_address("2001:db8::7", description="Gateway of v6"),
        new_address("10.0.1.15", space="lab"),
    )


FIRST, SECOND, V6, LAB = (
    "global:10.0.1.10-10.0.1.99",
    "global:10.0.2.10-10.0.2.20",
    "global:2001:db8::100-2001:db8::1ff",
    "lab:10.0.1.10-10.0.1.20",
)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, [FIRST, SECOND, V6, LAB], id="all"),
        pytest.param({"space": "lab"}, [LAB], id="space"),
        pytest.param({"group": "k8s"}, [FIRST, SECOND], id="group-subtree"),
        pytest.param({"group": "k8s", "descendants": "false"}, [FIRST], id="group-only"),
        pytest.param({"role": "loadbalancer"}, [FIRST], id="role"),
        pytest.param({"status": "reserved"}, [SECOND], id="status"),
        pytest.param({"tag": "lb"}, [FIRST], id="tag"),
        pytest.param({"family": 6}, [V6], id="family"),
        pytest.param({"contains": "10.0.1.15"}, [FIRST, LAB], id="contains"),
        pytest.param({"within": "10.0.2.0/24"}, [SECOND], id="within"),
        pytest.param({"q": "metallb"}, [FIRST], id="q-description"),
    ],
)
@pytest.mark.usefixtures("inventory")
def test_range_list_filters(api: httpx.Client, params: dict[str, Any], expected: list[str]) -> None:
    assert _listed(api, "/ranges", "range", **params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {},
            ["global:10.0.1.15", "global:10.0.2.5", "global:10.0.3.7", "global:2001:db8::7", "lab:10.0.1.15"],
            id="all",
        ),
        pytest.param({"space": "lab"}, ["lab:10.0.1.15"], id="space"),
        pytest.param({"group": "k8s"}, ["global:10.0.1.15", "global:10.0.2.5"], id="group-subtree"),
        pytest.param({"group": "k8s", "descendants": "false"}, ["global:10.0.1.15"], id="group-only"),
        pytest.param({"status": "reserved"}, ["global:10.0.2.5"], id="status"),
        pytest.param({"holder_kind": "vm"}, ["global:10.0.1.15"], id="holder-kind"),
        pytest.param({"tag": "web"}, ["global:10.0.1.15"], id="tag"),
        pytest.param({"family": 6}, ["global:2001:db8::7"], id="family"),
        pytest.param({"within": "10.0.2.0/23"}, ["global:10.0.2.5", "global:10.0.3.7"], id="within"),
        pytest.param({"q": "WEB-1"}, ["global:10.0.1.15"], id="q-holder"),
        pytest.param({"q": "52:54:00"}, ["global:10.0.3.7"], id="q-mac"),
    ],
)
@pytest.mark.usefixtures("inventory")
def test_address_list_filters(api: httpx.Client, params: dict[str, Any], expected: list[str]) -> None:
    assert _listed(api, "/addresses", "address", **params) == expected


@pytest.mark.parametrize("by", ["offset", "cursor"])
@pytest.mark.parametrize(
    ("path", "key", "objects"),
    [
        pytest.param(
            "/ranges", "range", [new_range(f"10.0.{n}.1-10.0.{n}.9") for n in range(12)], id="ranges"
        ),
        pytest.param(
            "/addresses", "address", [new_address(f"10.0.0.{n}") for n in range(1, 13)], id="addresses"
        ),
    ],
)
def test_inventory_list_pages_cover_everything_once(
    api: httpx.Client, ledger: Ledger, path: str, key: str, objects: list[Any], by: str
) -> None:
    add_all(ledger, new_prefix("10.0.0.0/16"), *objects)

    pages = list(walk_pages(api, path, by=by, limit=5))

    assert [len(page["items"]) for page in pages] == [5, 5, 2]
    assert {page["total"] for page in pages} == {12}
    listed = [item[key] for page in pages for item in page["items"]]
    assert len(set(listed)) == 12


@pytest.mark.parametrize("path", ["/ranges", "/addresses"])
def test_inventory_list_query_count_does_not_grow_with_the_page(
    api: httpx.Client, ledger: Ledger, queries: QueryCounter, path: str
) -> None:
    sites = [f"site{n}" for n in range(6)]
    for site in sites:
        add_group(ledger, site)
    add_all(
        ledger,
        new_prefix("10.0.0.0/16"),
        *[new_range(f"10.0.{n}.1-10.0.{n}.9", group=site) for n, site in enumerate(sites)],
        *[new_address(f"10.0.{n}.100", group=site) for n, site in enumerate(sites)],
    )
    api.get(path, params={"limit": 1})  # the app's first request builds its stack

    def count(limit: int) -> int:
        before = queries.count
        assert len(api.get(path, params={"limit": limit}).json()["items"]) == limit
        return queries.count - before

    small, large = count(2), count(6)

    assert small == large, f"{small} statements for a page of 2, {large} for a page of 6"


def test_range_create_returns_the_record(api: httpx.Client, ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")

    response = api.post("/ranges", json={"range": "10.0.0.10-10.0.0.19", "role": "loadbalancer"})

    assert response.status_code == 201
    body = response.json()
    assert (body["range"], body["start"], body["end"], body["size"], body["used"]) == (
        "10.0.0.10-10.0.0.19",
        "10.0.0.10",
        "10.0.0.19",
        10,
        0,
    )
    assert api.get(f"/ranges/{body['id']}").json() == body
    assert prefix_of(ledger, "10.0.0.0/24").usage.used == 10


def test_range_create_outside_every_prefix_is_refused(api: httpx.Client) -> None:
    assert_problem(api.post("/ranges", json={"range": "192.0.2.1-192.0.2.9"}), 400, detail_has=("192.0.2.1",))


def test_address_create_records_the_holder(api: httpx.Client, ledger: Ledger) -> None:
    response = api.post(
        "/addresses",
        json={
            "address": "10.0.0.7",
            "holder_kind": "vm",
            "holder_name": "web-1",
            "mac": "52-54-00-AB-CD-EF",
            "last_seen": "2026-01-02T03:04:05+02:00",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["address"], body["holder_kind"], body["holder_name"], body["source"]) == (
        "10.0.0.7",
        "vm",
        "web-1",
        "api",
    )
    assert body["mac"] == "52:54:00:ab:cd:ef"
    assert datetime.fromisoformat(body["last_seen"]) == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)
    stored = show_address(ledger, ip("10.0.0.7"))
    assert (stored.id, stored.mac) == (body["id"], "52:54:00:ab:cd:ef")
