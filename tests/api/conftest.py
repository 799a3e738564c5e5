"""Fixtures of the API tests: the real app on the test's ledger, behind a real uvicorn server,
reached with a real HTTP client.

One uvicorn server runs for the whole session on an OS-assigned port; each test installs
``create_app(ledger)`` on it (see ``AppSwitch``), so every test talks HTTP to its own app on its
own SQLite file or PostgreSQL data, through the ``ledger`` fixture of ``tests/conftest.py``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from functools import cache

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from ipledger.api.app import PREFIX, create_app
from ipledger.service.ledger import Ledger
from tests.api.problems import PROBLEM_TYPE, assert_no_traceback
from tests.api.server import AppSwitch, serve_in_thread

# Generous: a slow machine makes a request slow, never wrong.
TIMEOUT = 120.0


@pytest.fixture(scope="session")
def api_server() -> Iterator[tuple[AppSwitch, str]]:
    switch = AppSwitch()
    with serve_in_thread(switch) as base:
        yield switch, base


_apps: dict[int, tuple[Ledger, FastAPI]] = {}


def _app_of(ledger: Ledger) -> FastAPI:
    """``create_app(ledger)``, kept while the same ledger comes back: the PostgreSQL ledger serves
    the whole session, and building an app's routes (on its first request) costs about 30 ms.
    Only the two most recent are kept, so that the apps of closed SQLite ledgers go away."""
    known = _apps.pop(id(ledger), None)
    if known is None or known[0] is not ledger:
        known = (ledger, create_app(ledger))
    _apps[id(ledger)] = known
    while len(_apps) > 2:
        del _apps[next(iter(_apps))]
    return known[1]


@pytest.fixture
def api_base(ledger: Ledger, api_server: tuple[AppSwitch, str]) -> Iterator[str]:
    """The base URL (``.../api/v1``) of the real app serving this test's ledger."""
    switch, base = api_server
    switch.app = _app_of(ledger)
    try:
        yield base + PREFIX
    finally:
        switch.app = None


def check_every_answer(response: httpx.Response) -> None:
    """Every answer of every test: no traceback, and every error is a problem document."""
    response.read()
    assert_no_traceback(response)
    if response.status_code >= 400:
        assert response.headers.get("content-type") == PROBLEM_TYPE, response.text


@cache
def _tls() -> ssl.SSLContext:
    # Unused on plain HTTP, but httpx builds one per client unless given one (about 30 ms each).
    return ssl.create_default_context()


def client_of(base: str) -> httpx.Client:
    """An HTTP client for the API at ``base``, acting as alice, checking every answer."""
    return httpx.Client(
        base_url=base,
        timeout=TIMEOUT,
        headers={"X-Actor": "alice"},
        event_hooks={"response": [check_every_answer]},
        verify=_tls(),
    )


@pytest.fixture
def api(api_base: str) -> Iterator[httpx.Client]:
    with client_of(api_base) as client:
        yield client


class QueryCounter:
    """Counts the SQL statements the ledger's engine runs while it is attached."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: object) -> None:
        self.count += 1


@pytest.fixture
def queries(ledger: Ledger) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    event.listen(ledger.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(ledger.engine, "before_cursor_execute", counter)
