"""Schemathesis over every operation of the OpenAPI schema (issue 6): no 5xx, and every response as
the schema documents it.

The schema is the one the real app serves at ``/api/v1/openapi.json``. Each of its operations
becomes one test, ``test_openapi_operation_answers_as_documented[<METHOD> <path>][sqlite]``, which
builds ``create_app(ledger)`` on the test's own ledger, seeded with ``authz_routes.build_targets``
(so that small ids and the names ``c1`` and ``c3`` hit existing objects now and then), and sends
every request with the bearer token of alice, an admin everywhere. Schemathesis drives the app in
process, through its ASGI transport.

Generation: valid and invalid data (mode ``all``), in the examples, coverage (boundary values,
wrong types, missing fields, undocumented methods) and fuzzing phases, with at most
``MAX_EXAMPLES`` fuzzed cases per operation; derandomized and without an example database, so
that every run sends the same requests. ``test_openapi_run_covers_every_operation`` then checks
that every operation of the schema was called.

Checks:

- ``not_a_server_error``: no 5xx. In process, an unhandled exception reaches the test as itself
  (Starlette re-raises it after answering 500), which fails the test just the same.
- ``response_schema_conformance``, ``content_type_conformance``, ``response_headers_conformance``:
  an answer with a documented status has the documented media type, body and headers.
- Not ``status_code_conformance``: FastAPI documents only the success status and 422 of each
  operation, while the API answers 400, 401, 403, 404, 405, 409, 412 and 413 by design. The API's
  description says every error is an RFC 9457 problem, and each such answer is held to that
  instead: ``application/problem+json`` with type, title, detail and its own status.

Bugs it found, kept as regression cases of ``test_openapi_former_bug_now_passes_the_checks``:
integers beyond signed 64 bits (ids, offsets, counts) crashed with 500 and are now 400 problems;
``GET /stale?days=N`` far in the past crashed and is now bounded; every 422 was documented as
FastAPI's ``HTTPValidationError`` but answered as a problem, and is now documented as one.

SQLite only: schemathesis drives the app in process and checks what the API answers against its
schema; which database stores the rows adds nothing to that, and PostgreSQL would double the run.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
from sqlalchemy import create_engine

from ipledger.api.app import PREFIX, create_app
from ipledger.service.ledger import Ledger
from tests.api.authz_routes import build_targets
from tests.api.conftest import sign_in
from tests.api.problems import PROBLEM_TYPE

# Fuzzed cases per operation, on top of the examples and the coverage phase's boundary cases.
MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_INT64 = range(-(2**63), 2**63)
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")
# Below the ~739,000 days back to year 1 (the bug), far above any real use.
_STALE_DAYS_LIMIT = 700_000

_BIG_INTEGER_BUG = (
    "an integer beyond signed 64 bits reaches SQLite: "
    "OverflowError 'Python int too large to convert to SQLite INTEGER', answered 500"
)
_STALE_DAYS_BUG = (
    "GET /stale?days=N with a cutoff before year 1: OverflowError 'date value out of range', answered 500"
)
_422_BUG = (
    "422 is documented as application/json HTTPValidationError ('detail' a list) but answered "
    "application/problem+json with a problem ('detail' a string, the list in 'errors')"
)

# The schema document only: the app serving it never touches its ledger, whose engine never connects.
schema = schemathesis.openapi.from_asgi(
    f"{PREFIX}/openapi.json",
    create_app(Ledger(create_engine("sqlite://"))),
    config=schemathesis.Config.from_dict({"generation": {"mode": "all"}}),
)

# "<METHOD> <path>" -> requests the run sent, for test_openapi_run_covers_every_operation.
_calls: Counter[str] = Counter()


@pytest.fixture
def seeded_app(ledger: Ledger) -> FastAPI:
    build_targets(ledger)
    return create_app(ledger)


@pytest.fixture
def admin_auth(ledger: Ledger) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_in(ledger)}"}


def _as_integer(value: object) -> int | None:
    """The integer FastAPI reads from ``value``: an int, a whole float or integer text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    return None


def _beyond_int64(value: object) -> bool:
    """An integer outside signed 64 bits anywhere in ``value``."""
    if isinstance(value, dict):
        return any(_beyond_int64(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_beyond_int64(item) for item in value)
    number = _as_integer(value)
    return number is not None and number not in _INT64


def _known_bug(case: schemathesis.Case[Any]) -> str | None:
    """The known bug ``case`` would run into, if any."""
    if any(_beyond_int64(part) for part in (case.path_parameters, case.query, case.body)):
        return _BIG_INTEGER_BUG
    days = _as_integer((case.query or {}).get("days"))
    if case.operation.path == f"{PREFIX}/stale" and days is not None and days >= _STALE_DAYS_LIMIT:
        return _STALE_DAYS_BUG
    return None


def _assert_problem(response: schemathesis.Response) -> None:
    assert response.headers.get("content-type") == [PROBLEM_TYPE], response.text
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == response.status_code, body


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # The ledger is the test's, shared by the cases of one operation on purpose: what one case
    # creates, the next may find. Generating bodies of this schema is slow on a slow machine,
    # and assume() rejects the few cases that hit a known bug.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_openapi_operation_answers_as_documented(
    case: schemathesis.Case[Any], seeded_app: FastAPI, admin_auth: dict[str, str]
) -> None:
    _calls[case.operation.label] += 1
    if case.operation.path == f"{PREFIX}/events":
        # The stream never ends by itself: let it send what is there and close.
        case.query = {**(case.query or {}), "once": True}

    response = case.call(app=seeded_app, headers=admin_auth)

    case.validate_response(response, checks=CHECKS)
    if response.status_code >= 400:
        _assert_problem(response)


def test_openapi_run_covers_every_operation(request: pytest.FixtureRequest) -> None:
    if not any(
        item.name.startswith("test_openapi_operation_answers_as_documented") for item in request.session.items
    ):
        pytest.skip("the schemathesis run was not selected")
    operations = {
        f"{method.upper()} {path}"
        for path, methods in schema.raw_schema["paths"].items()
        for method in methods
        if method in _HTTP_METHODS
    }

    assert _calls.keys() == operations


FORMER_BUGS = [
    pytest.param(
        "GET",
        "/ranges/{range_id}",
        {"path_parameters": {"range_id": 2**63}},
        id="range-id-beyond-int64",
    ),
    pytest.param(
        "GET",
        "/prefixes",
        {"query": {"offset": 2**63}},
        id="offset-beyond-int64",
    ),
    pytest.param(
        "POST",
        "/prefixes/bulk-delete",
        {"body": {"ids": [2**63]}},
        id="bulk-delete-id-beyond-int64",
    ),
    pytest.param(
        "POST",
        "/clusters",
        {"body": {"name": "c9", "max_pods": 2**63}},
        id="cluster-max-pods-beyond-int64",
    ),
    pytest.param(
        "GET",
        "/stale",
        {"query": {"days": 740_000}},
        id="stale-days-before-year-1",
    ),
    pytest.param(
        "POST",
        "/spaces",
        {"body": {}},
        id="422-documented-as-json",
    ),
]


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("method", "path", "parts"), FORMER_BUGS)
def test_openapi_former_bug_now_passes_the_checks(
    seeded_app: FastAPI, admin_auth: dict[str, str], method: str, path: str, parts: dict[str, Any]
) -> None:
    case = schema[f"{PREFIX}{path}"][method].Case(**parts)

    case.call_and_validate(app=seeded_app, headers=admin_auth, checks=CHECKS)
