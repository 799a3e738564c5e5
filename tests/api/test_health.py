"""The health endpoints: /healthz (liveness, no database) and /readyz (the database answers),
unauthenticated and outside the API's schema; and what a request gets while the database is down."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from ipledger.api.app import create_app
from ipledger.service.ledger import Ledger
from ipledger.store.database import open_engine
from tests.api.problems import PROBLEM_TYPE, assert_no_traceback
from tests.api.server import AppSwitch, free_port


def test_health_liveness_and_readiness_answer_without_credentials(
    api_base: str, api_server: tuple[AppSwitch, str]
) -> None:
    _, base = api_server
    with httpx.Client(base_url=base) as plain:
        live = plain.get("/healthz")
        ready = plain.get("/readyz")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert ready.headers["cache-control"] == "no-store"


def test_health_endpoints_are_not_in_the_api_schema(api_base: str) -> None:
    with httpx.Client() as plain:
        paths = plain.get(f"{api_base}/openapi.json").json()["paths"]
    assert not {"/healthz", "/readyz"} & set(paths)


@pytest.fixture
def database_down(api_server: tuple[AppSwitch, str]) -> httpx.Client:
    """A client of the app on a PostgreSQL URL where nothing listens."""
    switch, base = api_server
    ledger = Ledger(open_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"))
    switch.app = create_app(ledger)
    return httpx.Client(base_url=base, timeout=30)


def test_health_readiness_is_503_while_the_database_is_down(database_down: httpx.Client) -> None:
    with database_down as plain:
        live = plain.get("/healthz")
        ready = plain.get("/readyz")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["content-type"] == PROBLEM_TYPE
    assert ready.json()["detail"].startswith("database unavailable")


def test_health_request_while_the_database_is_down_is_a_clean_503(database_down: httpx.Client) -> None:
    with database_down as plain:
        # A well-formed token: the server has to look it up.
        response = plain.get("/api/v1/prefixes", headers={"Authorization": f"Bearer ipl_0123abcd_{'a' * 43}"})

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_TYPE
    assert response.json()["detail"].startswith("database unavailable")
    assert_no_traceback(response)


def test_health_readiness_does_not_wait_for_a_writer(
    ledger: Ledger, ledger_url: str, api_base: str, api_server: tuple[AppSwitch, str]
) -> None:
    _, base = api_server
    with ledger.database.writing() as session, httpx.Client(base_url=base, timeout=30) as plain:
        session.execute(text("SELECT 1"))  # the transaction has begun: on SQLite it holds the write lock
        ready = plain.get("/readyz")

    assert ready.status_code == 200
