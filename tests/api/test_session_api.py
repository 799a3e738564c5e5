"""Browser sessions over HTTP: the login cookie and its flags, the cookie as a credential, the CSRF
token every change made with it must carry, logout, and login refusals that all look alike.

The clients here are real HTTP clients keeping cookies the way a browser does (httpx's cookie
jar); hashing uses cheap argon2id parameters, as in the service tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from ipledger.core.permissions import AccessRole, UserKind
from ipledger.service import auth
from ipledger.service.auth import create_user, disable_user, grant
from ipledger.service.ledger import Ledger
from ipledger.store.models import BrowserSession, Space
from tests.api.conftest import SYSTEM, client_of
from tests.api.problems import assert_problem
from tests.service.factories import all_changes, count_rows, stored_state

PASSWORD = "correct horse battery"
COOKIE = "ipledger_session"
CSRF = "X-CSRF-Token"
REFUSED = "wrong user name or password"


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    auth._decoy_hash.cache_clear()
    yield
    auth._decoy_hash.cache_clear()


@pytest.fixture
def browser(api_base: str, ledger: Ledger) -> Iterator[httpx.Client]:
    """A client without a token, keeping cookies; bob (admin everywhere, with a password) exists."""
    create_user(ledger, "bob", actor=SYSTEM, password=PASSWORD)
    grant(ledger, "bob", AccessRole.ADMIN, actor=SYSTEM)
    with _anonymous(api_base) as client:
        yield client


def _anonymous(api_base: str) -> httpx.Client:
    client = client_of(api_base)
    del client.headers["Authorization"]
    return client


def _login(client: httpx.Client, name: str = "bob", password: str = PASSWORD) -> httpx.Response:
    return client.post("/session", json={"name": name, "password": password})


def _csrf_of(client: httpx.Client) -> str:
    response = _login(client)
    assert response.status_code == 201, response.text
    token: str = response.json()["csrf_token"]
    return token


def _cookie_flags(response: httpx.Response) -> dict[str, str]:
    """The attributes of the session cookie set by ``response``, by lower-case name."""
    [header] = [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{COOKIE}=")]
    flags = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        flags[name.lower()] = value
    return flags


def test_login_sets_an_httponly_samesite_strict_cookie(browser: httpx.Client, ledger: Ledger) -> None:
    response = _login(browser, " BOB ")

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["user"], body["grants"]) == ("bob", [{"role": "admin", "group": None}])
    flags = _cookie_flags(response)
    assert {name: flags.get(name) for name in ("httponly", "samesite", "path", "max-age")} == {
        "httponly": "",
        "samesite": "strict",
        "path": "/",
        "max-age": str(12 * 3600),
    }
    assert "secure" not in flags  # plain HTTP: a Secure cookie would never come back
    with ledger.reading() as session:
        [row] = session.scalars(select(BrowserSession))
    assert row.csrf_token == body["csrf_token"]
    assert browser.cookies[COOKIE] not in repr(stored_state(ledger))
    assert [(change.actor, change.action) for change in all_changes(ledger)][-1] == ("bob", "login")


@pytest.mark.parametrize(
    ("setting", "headers"),
    [
        pytest.param("1", {}, id="setting"),
        pytest.param(None, {"X-Forwarded-Proto": "https"}, id="https-behind-trusted-proxy"),
    ],
)
def test_login_cookie_is_secure_over_https(
    browser: httpx.Client, monkeypatch: pytest.MonkeyPatch, setting: str | None, headers: dict[str, str]
) -> None:
    if setting is not None:
        monkeypatch.setenv("IPLEDGER_SECURE_COOKIES", setting)

    response = browser.post("/session", json={"name": "bob", "password": PASSWORD}, headers=headers)

    assert response.status_code == 201, response.text
    assert "secure" in _cookie_flags(response)


def test_session_cookie_authenticates_reads(browser: httpx.Client) -> None:
    csrf_token = _csrf_of(browser)

    assert browser.get("/spaces").status_code == 200
    me = browser.get("/session")
    assert me.status_code == 200, me.text
    assert (me.json()["user"], me.json()["csrf_token"]) == ("bob", csrf_token)


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("wrong", id="wrong"),
        pytest.param("other-session", id="another-sessions-token"),
    ],
)
def test_change_with_the_cookie_needs_the_csrf_token(
    browser: httpx.Client, api_base: str, ledger: Ledger, sent: str | None
) -> None:
    _csrf_of(browser)
    if sent == "other-session":
        with _anonymous(api_base) as other:
            sent = _csrf_of(other)
    before = stored_state(ledger)

    response = browser.post("/spaces", json={"name": "lab"}, headers={} if sent is None else {CSRF: sent})

    assert_problem(response, 403, detail_has=("missing or wrong CSRF token",))
    assert stored_state(ledger) == before


def test_change_with_the_cookie_and_its_csrf_token_is_made_as_the_user(
    browser: httpx.Client, ledger: Ledger
) -> None:
    csrf_token = _csrf_of(browser)

    response = browser.post("/spaces", json={"name": "lab"}, headers={CSRF: csrf_token})

    assert response.status_code == 201, response.text
    assert count_rows(ledger, Space) == 2
    assert [(change.actor, change.action, change.object_label) for change in all_changes(ledger)][-1] == (
        "bob",
        "create",
        "lab",
    )


def test_bearer_token_needs_no_csrf_token(api: httpx.Client) -> None:
    response = api.post("/spaces", json={"name": "lab"})

    assert response.status_code == 201, response.text


def test_bearer_token_wins_over_a_session_cookie(browser: httpx.Client, api: httpx.Client) -> None:
    _csrf_of(browser)

    api.cookies.set(COOKIE, browser.cookies[COOKIE])

    response = api.post("/spaces", json={"name": "lab"})

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "lab"


def test_logout_ends_the_session_at_once(browser: httpx.Client, api_base: str, ledger: Ledger) -> None:
    csrf_token = _csrf_of(browser)
    with _anonymous(api_base) as copy:
        copy.cookies.set(COOKIE, browser.cookies[COOKIE])  # a stolen copy of the cookie
        assert copy.get("/spaces").status_code == 200

        response = browser.delete("/session", headers={CSRF: csrf_token})

        assert response.status_code == 204, response.text
        assert_problem(copy.get("/spaces"), 401)
    assert _cookie_flags(response)["max-age"] == "0"
    assert COOKIE not in browser.cookies
    assert count_rows(ledger, BrowserSession) == 0
    assert [(change.actor, change.action) for change in all_changes(ledger)][-1] == ("bob", "logout")


def test_logout_needs_the_csrf_token(browser: httpx.Client) -> None:
    _csrf_of(browser)

    assert_problem(browser.delete("/session"), 403, detail_has=("missing or wrong CSRF token",))
    assert browser.get("/session").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        pytest.param("GET", "/spaces", False, id="read"),
        pytest.param("GET", "/session", False, id="who-am-i"),
        pytest.param("GET", "/session", True, id="who-am-i-with-a-token"),
        pytest.param("DELETE", "/session", False, id="logout"),
    ],
)
def test_no_session_is_refused_with_401(api_base: str, method: str, path: str, token: bool) -> None:
    client = client_of(api_base) if token else _anonymous(api_base)
    with client:
        client.cookies.set(COOKIE, "A" * 43)
        response = client.request(method, path)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("name", "password", "setup"),
    [
        pytest.param("nobody", PASSWORD, "none", id="unknown-user"),
        pytest.param("bob", PASSWORD + "!", "none", id="wrong-password"),
        pytest.param("bob", PASSWORD, "lock", id="locked-after-five-failures"),
        pytest.param("bob", PASSWORD, "disable", id="disabled"),
        pytest.param("ci", PASSWORD, "none", id="service-account"),
    ],
)
def test_login_refusals_look_alike(
    browser: httpx.Client, ledger: Ledger, name: str, password: str, setup: str
) -> None:
    create_user(ledger, "ci", actor=SYSTEM, kind=UserKind.SERVICE)
    if setup == "lock":
        for _ in range(5):
            assert _login(browser, password="wrong password!").status_code == 401
    if setup == "disable":
        disable_user(ledger, "bob", actor=SYSTEM)

    response = _login(browser, name, password)

    body = assert_problem(response, 401)
    assert body == {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": REFUSED}
    assert "set-cookie" not in response.headers
    assert count_rows(ledger, BrowserSession) == 0


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        pytest.param("text/plain", '{"name": "bob", "password": "correct horse battery"}', id="text-plain"),
        pytest.param(
            "application/x-www-form-urlencoded", "name=bob&password=correct+horse+battery", id="form"
        ),
    ],
)
def test_login_takes_only_json(
    browser: httpx.Client, ledger: Ledger, content_type: str, content: str
) -> None:
    # Another site's page can post a form or text/plain without a CORS preflight, and could sign
    # the victim into the attacker's account with it; JSON it cannot send.
    response = browser.post("/session", content=content, headers={"Content-Type": content_type})

    assert_problem(response, 422)
    assert count_rows(ledger, BrowserSession) == 0
