"""Fixtures of the browser tests: the real app with its web UI behind a real uvicorn server, driven
by Debian's headless Chromium through Playwright.

One server and one browser serve the whole session; each test installs ``create_app(ledger)``
with ``install_web`` on the server (see ``AppSwitch``), so every test runs on its own SQLite file
or PostgreSQL data, and opens its own browser contexts (cookie jars), signed in through the
real login form. Playwright never downloads a browser here: without ``/usr/bin/chromium`` the
tests are skipped, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy import delete

from ipledger.api.app import create_app
from ipledger.core.permissions import AccessRole
from ipledger.service.auth import create_user, grant
from ipledger.service.ledger import Ledger
from ipledger.store.models import Change
from ipledger.web.app import install_web
from tests.api.server import AppSwitch, serve_in_thread

__all__ = [
    "PASSWORD",
    "USER",
    "SignIn",
    "Site",
    "Watched",
    "add_user",
    "log_in",
    "wait_until_live",
    "watch",
]

CHROMIUM = Path("/usr/bin/chromium")
SYSTEM = "test-setup"
PASSWORD = "a long enough passphrase"
USER = "ada"
# How long a page may take to show what a test waits for; generous, since a slow machine makes
# the browser slow, never wrong. No test asserts on speed.
WAIT_MS = 10_000


@dataclass
class Site:
    """The running web UI of this test: its base URL and ledger."""

    base: str
    ledger: Ledger


@dataclass
class Watched:
    """What a page reported while a test used it: console errors, uncaught exceptions and
    violations of the content security policy."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [*self.console_errors, *self.page_errors, *self.violations]


# Reports each violation of the page's content security policy to the test. Playwright injects
# this script itself, so the policy does not apply to it.
_REPORT_VIOLATIONS = """
window.policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const line = `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`;
  window.policyViolations.push(line);
  window.reportViolation(line);
});
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the browser tests must run)")
        pytest.skip(message)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def web_server() -> Iterator[tuple[AppSwitch, str]]:
    switch = AppSwitch()
    with serve_in_thread(switch) as base:
        yield switch, base


def _remove_setup_changes(ledger: Ledger) -> None:
    """The tests' change log holds only what the tests do themselves."""
    with ledger.engine.begin() as connection:
        connection.execute(
            delete(Change).where(Change.object_kind.in_(("user", "grant", "token", "session")))
        )


def add_user(ledger: Ledger, name: str, role: AccessRole = AccessRole.ADMIN) -> str:
    """A person with the test password and ``role`` everywhere; returns the name."""
    create_user(ledger, name, actor=SYSTEM, password=PASSWORD)
    grant(ledger, name, role, actor=SYSTEM)
    _remove_setup_changes(ledger)
    return name


_apps: dict[int, tuple[Ledger, FastAPI]] = {}


def _app_of(ledger: Ledger) -> FastAPI:
    """``create_app(ledger)`` with the web UI, kept while the same ledger comes back: the
    PostgreSQL ledger serves the whole session, and an app's first request costs a few hundred
    ms (building its routes). Only the two most recent are kept, so that the apps of closed SQLite
    ledgers go away."""
    known = _apps.pop(id(ledger), None)
    if known is None or known[0] is not ledger:
        app = create_app(ledger)
        install_web(app)
        known = (ledger, app)
    _apps[id(ledger)] = known
    while len(_apps) > 2:
        del _apps[next(iter(_apps))]
    return known[1]


@pytest.fixture
def site(ledger: Ledger, web_server: tuple[AppSwitch, str]) -> Iterator[Site]:
    """The web UI on this test's ledger, with ``ada``, an admin everywhere."""
    switch, base = web_server
    add_user(ledger, USER)
    switch.app = _app_of(ledger)
    try:
        yield Site(base, ledger)
    finally:
        switch.app = None


def watch(page: Page) -> Watched:
    """Collect what ``page`` reports from its next navigation on."""
    watched = Watched()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.console_errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.page_errors.append(f"{page.url}: {error}"))
    page.expose_function("reportViolation", lambda line: watched.violations.append(f"{page.url}: {line}"))
    page.add_init_script(_REPORT_VIOLATIONS)
    return watched


def log_in(page: Page, name: str, password: str) -> None:
    """Fill in and send the login form of the page at /login."""
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


SignIn = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, site: Site) -> Iterator[Callable[[], Page]]:
    """Opens a page in a new browser context (its own cookies), signed in as nobody; every
    context is closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=site.base, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def sign_in(new_page: Callable[[], Page], site: Site) -> SignIn:
    """Signs in through the login form in a new browser context: ``sign_in()`` as ada,
    ``sign_in("bob")`` as another user made beforehand with ``add_user``."""

    def open_signed_in(name: str = USER) -> Page:
        page = new_page()
        page.goto("/login")
        log_in(page, name, PASSWORD)
        page.wait_for_url(f"{site.base}/")
        return page

    return open_signed_in


@pytest.fixture
def anonymous(new_page: Callable[[], Page]) -> Page:
    """A page nobody signed in to."""
    return new_page()


@pytest.fixture
def page(sign_in: SignIn) -> Page:
    """A page signed in as ada, on the dashboard."""
    return sign_in()


def wait_until_live(page: Page) -> None:
    """Wait until the page's event stream is open: changes made from then on reach the page."""
    page.wait_for_function("() => window.ipledgerEvents && window.ipledgerEvents.readyState === 1")
