"""Who may use the NetBox API: the native API's tokens in NetBox's ``Token`` header, with the same
grants (these routes are outside the native OpenAPI schema, so the native authorization matrix
does not walk them; this file does)."""

from __future__ import annotations

import httpx
import pytest

from ipledger.core.permissions import AccessRole
from ipledger.service import prefixes
from ipledger.service.groups import create_group
from ipledger.service.ledger import Ledger
from tests.api.conftest import TIMEOUT, sign_in
from tests.api.factories import add_all, new_prefix

# Every route of the NetBox API, with a body for the writes ({id} is a prefix id).
ROUTES = [
    ("GET", "/api/status/", None),
    ("GET", "/api/ipam/", None),
    ("GET", "/api/ipam/vrfs/", None),
    ("GET", "/api/ipam/prefixes/", None),
    ("GET", "/api/ipam/prefixes/{id}/", None),
    ("GET", "/api/ipam/ip-ranges/", None),
    ("GET", "/api/ipam/ip-addresses/", None),
    ("GET", "/api/ipam/prefixes/{id}/available-ips/", None),
    ("GET", "/api/ipam/prefixes/{id}/available-prefixes/", None),
    ("GET", "/api/ipam/roles/", None),
    ("GET", "/api/tenancy/tenants/", None),
    ("GET", "/api/extras/tags/", None),
    ("POST", "/api/ipam/prefixes/", {"prefix": "10.9.0.0/24"}),
    ("PATCH", "/api/ipam/prefixes/{id}/", {"description": "x"}),
    ("DELETE", "/api/ipam/prefixes/{id}/", None),
    ("POST", "/api/ipam/prefixes/{id}/available-ips/", {}),
    ("POST", "/api/ipam/prefixes/{id}/available-prefixes/", {"prefix_length": 28}),
    ("POST", "/api/ipam/ip-addresses/", {"address": "10.0.0.9/24"}),
    ("POST", "/api/ipam/vrfs/", {"name": "red"}),
]
READS = [route for route in ROUTES if route[0] == "GET"]
WRITES = [route for route in ROUTES if route[0] != "GET"]


def _call(base: str, headers: dict[str, str], route: tuple[str, str, object], key: int) -> httpx.Response:
    method, path, body = route
    return httpx.request(method, base + path.format(id=key), json=body, headers=headers, timeout=TIMEOUT)


def _prefix_id(ledger: Ledger) -> int:
    add_all(ledger, new_prefix("10.0.0.0/24"))
    return prefixes.list_prefixes(ledger)[0][0].id


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_netbox_route_without_a_token_gets_403(
    netbox_base: str, ledger: Ledger, route: tuple[str, str, object]
) -> None:
    answer = _call(netbox_base, {}, route, _prefix_id(ledger))
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("header", ["Token ipl_00000000_" + "x" * 43, "Basic abc", "Token"])
def test_netbox_route_with_a_bad_token_gets_403(netbox_base: str, header: str) -> None:
    answer = httpx.get(
        f"{netbox_base}/api/ipam/prefixes/", headers={"Authorization": header}, timeout=TIMEOUT
    )
    assert answer.status_code == 403
    assert "detail" in answer.json()


@pytest.mark.parametrize("route", READS, ids=[f"{m} {p}" for m, p, _ in READS])
def test_netbox_read_only_token_reads(
    netbox_base: str, ledger: Ledger, route: tuple[str, str, object]
) -> None:
    key = _prefix_id(ledger)
    token = sign_in(ledger, "reader", grants=((AccessRole.VIEWER, None),), read_only=True)
    assert _call(netbox_base, {"Authorization": f"Token {token}"}, route, key).status_code == 200


@pytest.mark.parametrize("route", WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_netbox_read_only_token_cannot_write(
    netbox_base: str, ledger: Ledger, route: tuple[str, str, object]
) -> None:
    key = _prefix_id(ledger)
    before = [(record.network, record.description) for record in prefixes.list_prefixes(ledger)[0]]
    token = sign_in(ledger, "reader", grants=((AccessRole.ADMIN, None),), read_only=True)
    answer = _call(netbox_base, {"Authorization": f"Token {token}"}, route, key)
    assert answer.status_code == 403, answer.text
    assert [(record.network, record.description) for record in prefixes.list_prefixes(ledger)[0]] == before


def test_netbox_editor_of_a_group_writes_only_there(netbox_base: str, ledger: Ledger) -> None:
    create_group(ledger, "team", actor="setup")
    create_group(ledger, "other", actor="setup")
    token = sign_in(ledger, "editor", grants=((AccessRole.EDITOR, "team"),))
    headers = {"Authorization": f"Token {token}"}
    tenants = httpx.get(f"{netbox_base}/api/tenancy/tenants/", headers=headers, timeout=TIMEOUT).json()[
        "results"
    ]
    ids = {item["name"]: item["id"] for item in tenants}
    mine = httpx.post(
        f"{netbox_base}/api/ipam/prefixes/",
        json={"prefix": "10.1.0.0/24", "tenant": ids["team"]},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert mine.status_code == 201, mine.text
    theirs = httpx.post(
        f"{netbox_base}/api/ipam/prefixes/",
        json={"prefix": "10.2.0.0/24", "tenant": ids["other"]},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert theirs.status_code == 403
    assert [str(record.network) for record in prefixes.list_prefixes(ledger)[0]] == ["10.1.0.0/24"]


def test_netbox_bearer_header_is_accepted_too(netbox_base: str, ledger: Ledger) -> None:
    token = sign_in(ledger, "bob")
    answer = httpx.get(
        f"{netbox_base}/api/ipam/prefixes/", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert answer.status_code == 200


def test_netbox_routes_stay_out_of_the_native_schema(netbox_base: str) -> None:
    from ipledger.api.app import PREFIX
    from tests.api import tokens

    schema = httpx.get(
        f"{netbox_base}{PREFIX}/openapi.json",
        headers={"Authorization": f"Bearer {tokens.current['alice']}"},
        timeout=TIMEOUT,
    ).json()
    assert not [path for path in schema["paths"] if not path.startswith(PREFIX)]
