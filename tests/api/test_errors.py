"""Errors over HTTP: one problem-details shape with the right status, a message a person can act
on and the field at fault; never a traceback. Also the OpenAPI schema that documents it all."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ipledger.api.app import MAX_BODY_BYTES
from ipledger.service import checks
from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space
from tests.api.conftest import TIMEOUT
from tests.api.problems import PROBLEM_TYPE, assert_problem
from tests.service.factories import ACTOR, add_address, add_group, add_prefix, add_range, stored_state

# Bad values: (path, body, field, what the detail must say).
_BAD_VALUES = [
    pytest.param("/prefixes", {"prefix": "10.0.0/24"}, "prefix", "10.0.0/24", id="malformed-cidr"),
    pytest.param(
        "/prefixes", {"prefix": "10.0.0.1/24"}, "prefix", "did you mean 10.0.0.0/24?", id="host-bits"
    ),
    pytest.param(
        "/prefixes", {"prefix": "2001:db8::1/64"}, "prefix", "did you mean 2001:db8::/64?", id="host-bits-v6"
    ),
    pytest.param(
        "/prefixes", {"prefix": "10.0.0.0/24", "role": "storage"}, "role", "storage", id="unknown-role"
    ),
    pytest.param(
        "/prefixes", {"prefix": "10.0.0.0/24", "status": "gone"}, "status", "gone", id="unknown-status"
    ),
    pytest.param(
        "/ranges", {"range": "10.0.0.9-10.0.0.1"}, "range", "start is after end", id="reversed-range"
    ),
    pytest.param(
        "/addresses", {"address": "10.0.0.5/24"}, "address", "not a prefix", id="address-with-length"
    ),
    pytest.param("/addresses", {"address": "10.0.0.5", "mac": "52:54:00"}, "mac", "52:54:00", id="bad-mac"),
    pytest.param(
        "/addresses",
        {"address": "10.0.0.5", "holder_kind": "alien"},
        "holder_kind",
        "alien",
        id="unknown-holder",
    ),
]


@pytest.mark.parametrize(("path", "body", "field", "says"), _BAD_VALUES)
def test_error_bad_value_is_400_naming_the_field(
    api: httpx.Client, ledger: Ledger, path: str, body: dict[str, Any], field: str, says: str
) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    before = stored_state(ledger)

    assert_problem(api.post(path, json=body), 400, field=field, detail_has=(says,))
    assert stored_state(ledger) == before


# Schema problems: (body, field).
_SCHEMA_PROBLEMS = [
    pytest.param({"prefix": "10.0.0.0/24", "prefx": "x"}, "prefx", id="unknown-field"),
    pytest.param({"role": "pod"}, "prefix", id="missing-field"),
    pytest.param({"prefix": 167772160}, "prefix", id="wrong-type"),
    pytest.param(
        {"prefix": "10.0.0.0/24", "thresholds": {"warning": "high"}}, "thresholds.warning", id="nested"
    ),
]


@pytest.mark.parametrize(("body", "field"), _SCHEMA_PROBLEMS)
def test_error_body_not_fitting_the_schema_is_422_naming_the_field(
    api: httpx.Client, ledger: Ledger, body: dict[str, Any], field: str
) -> None:
    before = stored_state(ledger)

    problem = assert_problem(api.post("/prefixes", json=body), 422, field=field, detail_has=(field,))

    assert [error["field"] for error in problem["errors"]] == [field]
    assert stored_state(ledger) == before


def test_error_malformed_json_is_422(api: httpx.Client) -> None:
    response = api.post("/prefixes", content=b'{"prefix": ', headers={"Content-Type": "application/json"})

    assert_problem(response, 422, detail_has=("JSON",))


def test_error_non_numeric_id_is_422(api: httpx.Client) -> None:
    assert_problem(api.get("/prefixes/ten"), 422, field="path.prefix_id")


@pytest.mark.parametrize("kind", ["spaces", "groups", "prefixes", "ranges", "addresses"])
def test_error_unknown_id_is_404(api: httpx.Client, kind: str) -> None:
    methods = ["GET", "DELETE"] + (["PATCH"] if kind != "spaces" else [])

    for method in methods:
        body = {"description": "x"} if method == "PATCH" else None
        assert_problem(api.request(method, f"/{kind}/999", json=body), 404, detail_has=("999",))


def test_error_unknown_name_in_a_filter_is_404(api: httpx.Client) -> None:
    assert_problem(api.get("/prefixes", params={"space": "nowhere"}), 404, detail_has=("nowhere",))
    assert_problem(api.get("/ranges", params={"group": "nobody"}), 404, detail_has=("nobody",))


def test_error_unknown_route_is_404(api: httpx.Client, api_base: str) -> None:
    root = api_base.removesuffix("/api/v1")

    for path in ("/api/v1/nothing-here", "/api/v2/prefixes", "/"):
        assert_problem(api.get(root + path), 404)


def test_error_wrong_method_is_405(api: httpx.Client) -> None:
    assert_problem(api.delete("/spaces"), 405)


def _space(ledger: Ledger) -> tuple[str, dict[str, Any], str, str]:
    create_space(ledger, "lab", actor=ACTOR)
    return "/spaces", {"name": "lab"}, "name", "lab"


def _role(_ledger: Ledger) -> tuple[str, dict[str, Any], str, str]:
    return "/roles", {"name": "pod"}, "name", "pod"


def _group(ledger: Ledger) -> tuple[str, dict[str, Any], str, str]:
    add_group(ledger, "k8s/prod")
    return "/groups", {"path": "k8s/prod"}, "path", "k8s/prod"


def _prefix(ledger: Ledger) -> tuple[str, dict[str, Any], str, str]:
    add_prefix(ledger, "10.0.0.0/24")
    return "/prefixes", {"prefix": "10.0.0.0/24"}, "prefix", "10.0.0.0/24"


def _range(ledger: Ledger) -> tuple[str, dict[str, Any], str, str]:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.19")
    return "/ranges", {"range": "10.0.0.15-10.0.0.25"}, "range", "10.0.0.10-10.0.0.19"


def _address(ledger: Ledger) -> tuple[str, dict[str, Any], str, str]:
    add_address(ledger, "10.0.0.7")
    return "/addresses", {"address": "10.0.0.7"}, "address", "10.0.0.7"


@pytest.mark.parametrize(
    "existing",
    [
        pytest.param(setup, id=setup.__name__.strip("_"))
        for setup in (_space, _role, _group, _prefix, _range, _address)
    ],
)
def test_error_duplicate_is_409_with_the_existing_object(
    api: httpx.Client, ledger: Ledger, existing: Callable[[Ledger], tuple[str, dict[str, Any], str, str]]
) -> None:
    path, body, key, value = existing(ledger)
    before = stored_state(ledger)

    problem = assert_problem(api.post(path, json=body), 409, detail_has=(value,))

    assert problem.get("existing", {}).get(key) == value, problem
    assert stored_state(ledger) == before


def test_error_oversized_body_is_413(api_base: str, ledger: Ledger) -> None:
    """Refused from the Content-Length alone, before the body is read: the client announces one
    byte too many and sends none of it (http.client lets a request stop after its headers)."""
    before = stored_state(ledger)
    url = httpx.URL(api_base)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=TIMEOUT)
    try:
        connection.putrequest("POST", f"{url.path}/prefixes/bulk")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()
        response = connection.getresponse()
        status, media_type, body = (
            response.status,
            response.getheader("Content-Type"),
            json.loads(response.read()),
        )
    finally:
        connection.close()

    assert (status, media_type) == (413, PROBLEM_TYPE)
    assert (body["status"], body["title"]) == (413, "Request too large")
    assert str(MAX_BODY_BYTES) in body["detail"]
    assert stored_state(ledger) == before


def test_error_oversized_chunked_body_is_413(api: httpx.Client, ledger: Ledger) -> None:
    """A body sent in chunks announces no length: it is refused once it passes the limit."""
    before = stored_state(ledger)
    chunk = b" " * (1024 * 1024)

    def body() -> Iterator[bytes]:
        yield b"["
        for _ in range(MAX_BODY_BYTES // len(chunk) + 1):
            yield chunk
        yield b"]"

    response = api.post("/prefixes/bulk", content=body(), headers={"Content-Type": "application/json"})

    problem = assert_problem(response, 413, detail_has=(str(MAX_BODY_BYTES),))
    assert problem["title"] == "Request too large"
    assert stored_state(ledger) == before


def test_error_unexpected_failure_is_500_without_internals(
    api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(_ledger: Ledger) -> list[object]:
        raise RuntimeError("secret internals of check_ledger")

    monkeypatch.setattr(checks, "check_ledger", fail)

    response = api.get("/findings")

    assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert "RuntimeError" not in response.text


def test_openapi_documents_every_endpoint(api: httpx.Client) -> None:
    response = api.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/spaces": {"get", "post"},
        "/api/v1/spaces/{space_id}": {"get", "delete"},
        "/api/v1/roles": {"get", "post"},
        "/api/v1/roles/{name}": {"delete"},
        "/api/v1/groups": {"get", "post"},
        "/api/v1/groups/tree": {"get"},
        "/api/v1/groups/{group_id}": {"get", "patch", "delete"},
        "/api/v1/prefixes/{prefix_id}/available-prefixes": {"get", "post"},
        "/api/v1/prefixes/{prefix_id}/available-addresses": {"get", "post"},
        "/api/v1/ranges/{range_id}/available-addresses": {"get", "post"},
        "/api/v1/whois/{ip}": {"get"},
        "/api/v1/utilization": {"get"},
        "/api/v1/findings": {"get"},
        "/api/v1/changes": {"get"},
        "/api/v1/events": {"get"},
        "/api/v1/clusters": {"get", "post"},
        "/api/v1/clusters/overlaps": {"get"},
        "/api/v1/clusters/{name}": {"get", "patch", "delete"},
        "/api/v1/clusters/{name}/growth-plans": {"post"},
        "/api/v1/clusters/{name}/decommission-plans": {"post"},
        "/api/v1/cluster-plans": {"post"},
        "/api/v1/plans": {"get"},
        "/api/v1/plans/{plan_id}": {"get"},
        "/api/v1/plans/{plan_id}/apply": {"post"},
        "/api/v1/plans/{plan_id}/discard": {"post"},
        "/api/v1/config-checks": {"post"},
        "/api/v1/clusters/{name}/syncs": {"get", "post"},
        "/api/v1/clusters/{name}/report": {"get"},
        "/api/v1/scans": {"post"},
        "/api/v1/stale": {"get"},
        "/api/v1/session": {"get", "post", "delete"},
        "/api/v1/prefixes/{prefix_id}/history": {"get"},
        "/api/v1/prefixes/{prefix_id}/forecast": {"get"},
        "/api/v1/clusters/{name}/history": {"get"},
        "/api/v1/ranges/{range_id}/history": {"get"},
        "/api/v1/clusters/{name}/forecast": {"get"},
        "/api/v1/forecast": {"get"},
        "/api/v1/utilization/findings": {"get"},
        "/api/v1/utilization/findings/{finding_id}/ack": {"post"},
        "/api/v1/webhooks": {"get", "post"},
        "/api/v1/webhooks/{webhook_id}": {"delete"},
        "/api/v1/webhooks/{webhook_id}/deliveries": {"get"},
        "/api/v1/webhooks/{webhook_id}/test": {"post"},
    }
    for kind, key in (("prefixes", "prefix_id"), ("ranges", "range_id"), ("addresses", "address_id")):
        expected[f"/api/v1/{kind}"] = {"get", "post"}
        expected[f"/api/v1/{kind}/bulk"] = {"post"}
        expected[f"/api/v1/{kind}/bulk-delete"] = {"post"}
        expected[f"/api/v1/{kind}/{{{key}}}"] = {"get", "patch", "delete"}
    assert {path: set(methods) for path, methods in paths.items()} == expected


def test_openapi_interactive_docs_are_served(api: httpx.Client) -> None:
    response = api.get("/docs")

    assert response.status_code == 200
    assert "openapi.json" in response.text
