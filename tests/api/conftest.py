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
from sqlalchemy import delete, event

from ipledger.api.app import PREFIX, create_app
from ipledger.core.permissions import AccessRole, TokenScope
from ipledger.service.auth import create_token, create_user, grant
from ipledger.service.ledger import Ledger
from ipledger.store.models import Change
from tests.api import tokens
from tests.api.problems import PROBLEM_TYPE, assert_no_traceback
from tests.api.server import AppSwitch, serve_in_thread

# Generous: a slow machine makes a request slow, never wrong.
TIMEOUT = 120.0
SYSTEM = "test-setup"


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


def sign_in(
    ledger: Ledger,
    name: str = "alice",
    *,
    grants: tuple[tuple[AccessRole, str | None], ...] = ((AccessRole.ADMIN, None),),
    read_only: bool = False,
) -> str:
    """Create the user with these grants and an API token for it; its audit entries are removed,
    so that the tests see only the changes they make themselves."""
    create_user(ledger, name, actor=SYSTEM)
    for role, group in grants:
        grant(ledger, name, role, actor=SYSTEM, group=group)
    _, token = create_token(
        ledger,
        name,
        name="tests",
        actor=SYSTEM,
        scope=TokenScope.READ_ONLY if read_only else TokenScope.READ_WRITE,
    )
    with ledger.engine.begin() as connection:
        connection.execute(delete(Change).where(Change.object_kind.in_(("user", "grant", "token"))))
    return token


@pytest.fixture
def api_base(ledger: Ledger, api_server: tuple[AppSwitch, str]) -> Iterator[str]:
    """The base URL (``.../api/v1``) of the real app serving this test's ledger; clients made
    with ``client_of`` act as alice, an admin everywhere."""
    switch, base = api_server
    switch.app = _app_of(ledger)
    tokens.current["alice"] = sign_in(ledger)
    try:
        yield base + PREFIX
    finally:
        switch.app = None
        tokens.current.clear()


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


def client_of(base: str, token: str | None = None) -> httpx.Client:
    """An HTTP client for the API at ``base``, acting as alice (or with ``token``), checking
    every answer."""
    return httpx.Client(
        base_url=base,
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {token or tokens.current['alice']}"},
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
