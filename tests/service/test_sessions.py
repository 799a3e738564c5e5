"""Browser sessions: what is stored (a hash of the secret), how long a session lasts, what ends it,
and that a login is refused exactly like ``check_password`` refuses it.

Hashing uses cheap argon2id parameters here, as in ``test_auth.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from ipledger.core.permissions import AccessRole, AuthenticationError, Grant, UserKind
from ipledger.service import auth
from ipledger.service.auth import (
    create_user,
    delete_user,
    disable_user,
    enable_user,
    grant,
    revoke_grant,
    set_password,
)
from ipledger.service.ledger import Ledger
from ipledger.service.sessions import (
    IDLE_TIMEOUT,
    SESSION_LIFETIME,
    close_session,
    delete_expired_sessions,
    open_session,
    session_principal,
)
from ipledger.store.models import BrowserSession, User
from tests.service.factories import ACTOR, all_changes, count_rows, stored_state

PASSWORD = "correct horse battery"
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    auth._decoy_hash.cache_clear()
    yield
    auth._decoy_hash.cache_clear()


def _person(ledger: Ledger, name: str = "bob", role: AccessRole = AccessRole.EDITOR) -> None:
    create_user(ledger, name, actor=ACTOR, password=PASSWORD)
    grant(ledger, name, role, actor=ACTOR)


def _signed_in_bob(ledger: Ledger, now: datetime = NOW) -> str:
    _person(ledger)
    _, secret, _ = open_session(ledger, "bob", PASSWORD, now)
    return secret


def _sessions(ledger: Ledger) -> list[BrowserSession]:
    with ledger.reading() as session:
        return list(session.scalars(select(BrowserSession).order_by(BrowserSession.id)))


def test_open_session_gives_the_user_its_end_and_a_csrf_token(ledger: Ledger) -> None:
    _person(ledger)

    record, secret, csrf_token = open_session(ledger, " Bob ", PASSWORD, NOW)

    assert (record.user, record.grants, record.created_at) == ("bob", (Grant(AccessRole.EDITOR),), NOW)
    assert record.expires_at == NOW + SESSION_LIFETIME == NOW + timedelta(hours=12)
    assert len(secret) == len(csrf_token) == 43 and secret != csrf_token


def test_open_session_stores_only_the_sha256_of_the_secret(ledger: Ledger) -> None:
    _person(ledger)

    _, secret, csrf_token = open_session(ledger, "bob", PASSWORD, NOW)

    [row] = _sessions(ledger)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.csrf_token == csrf_token
    assert secret not in repr(stored_state(ledger))


def test_open_session_records_a_login_of_the_user(ledger: Ledger) -> None:
    _person(ledger)

    record, secret, csrf_token = open_session(ledger, "bob", PASSWORD, NOW)

    login = all_changes(ledger)[-1]
    assert (login.actor, login.action, login.object_kind, login.object_label) == (
        "bob",
        "login",
        "user",
        "bob",
    )
    assert login.after == {"session": record.id, "expires_at": record.expires_at.isoformat()}
    assert secret not in repr(login) and csrf_token not in repr(login)


def test_session_principal_gives_the_user_its_grants_and_csrf_token(ledger: Ledger) -> None:
    _person(ledger)
    record, secret, csrf_token = open_session(ledger, "bob", PASSWORD, NOW)

    found = session_principal(ledger, secret, NOW + timedelta(minutes=5))

    assert found is not None
    assert (found.principal.actor, found.principal.kind, found.principal.token) == (
        "bob",
        UserKind.HUMAN,
        None,
    )
    assert found.principal.grants == (Grant(AccessRole.EDITOR),)
    assert (found.csrf_token, found.expires_at) == (csrf_token, record.expires_at)


def test_session_principal_sees_changed_grants_at_once(ledger: Ledger) -> None:
    secret = _signed_in_bob(ledger)

    revoke_grant(ledger, "bob", AccessRole.EDITOR, actor=ACTOR)

    found = session_principal(ledger, secret, NOW)
    assert found is not None and found.principal.grants == ()


@pytest.mark.parametrize(
    "presented",
    [
        pytest.param(lambda secret: "", id="empty"),
        pytest.param(lambda secret: secret[:-1], id="truncated"),
        pytest.param(lambda secret: secret + "A", id="too-long"),
        pytest.param(lambda secret: ("B" if secret[0] == "A" else "A") + secret[1:], id="other-secret"),
        pytest.param(lambda secret: hashlib.sha256(secret.encode()).hexdigest(), id="its-hash"),
        pytest.param(lambda secret: "ä" * 43, id="not-base64"),
    ],
)
def test_session_principal_refuses_anything_but_the_secret(
    ledger: Ledger, presented: Callable[[str], str]
) -> None:
    secret = _signed_in_bob(ledger)

    assert session_principal(ledger, presented(secret), NOW) is None


@pytest.mark.parametrize(
    ("later", "alive"),
    [
        pytest.param(IDLE_TIMEOUT - timedelta(seconds=1), True, id="idle-just-under-2h"),
        pytest.param(IDLE_TIMEOUT, False, id="idle-2h"),
        pytest.param(SESSION_LIFETIME, False, id="past-the-end"),
    ],
)
def test_session_ends_after_two_idle_hours(ledger: Ledger, later: timedelta, alive: bool) -> None:
    secret = _signed_in_bob(ledger)

    assert (session_principal(ledger, secret, NOW + later) is not None) is alive


@pytest.mark.parametrize(
    ("end", "alive"),
    [
        pytest.param(SESSION_LIFETIME - timedelta(seconds=1), True, id="just-under-12h"),
        pytest.param(SESSION_LIFETIME, False, id="at-12h"),
    ],
)
def test_session_in_use_ends_twelve_hours_after_login(ledger: Ledger, end: timedelta, alive: bool) -> None:
    secret = _signed_in_bob(ledger)
    for hour in range(1, 12):
        assert session_principal(ledger, secret, NOW + timedelta(hours=hour)) is not None

    assert (session_principal(ledger, secret, NOW + end) is not None) is alive


def test_session_last_use_is_recorded_at_most_once_a_minute(ledger: Ledger) -> None:
    secret = _signed_in_bob(ledger)

    session_principal(ledger, secret, NOW + timedelta(seconds=59))
    assert [row.last_seen_at for row in _sessions(ledger)] == [NOW]
    session_principal(ledger, secret, NOW + timedelta(minutes=1))
    assert [row.last_seen_at for row in _sessions(ledger)] == [NOW + timedelta(minutes=1)]


def test_close_session_ends_it_at_once_and_records_a_logout(ledger: Ledger) -> None:
    secret = _signed_in_bob(ledger)
    _, other, _ = open_session(ledger, "bob", PASSWORD, NOW)

    assert close_session(ledger, secret) is True

    assert session_principal(ledger, secret, NOW) is None
    assert session_principal(ledger, other, NOW) is not None
    logout = all_changes(ledger)[-1]
    assert (logout.actor, logout.action, logout.object_kind, logout.object_label) == (
        "bob",
        "logout",
        "user",
        "bob",
    )


@pytest.mark.parametrize("secret", ["", "not a secret", "A" * 43], ids=["empty", "malformed", "unknown"])
def test_close_session_without_a_session_writes_nothing(ledger: Ledger, secret: str) -> None:
    _signed_in_bob(ledger)
    before = stored_state(ledger)

    assert close_session(ledger, secret) is False
    assert stored_state(ledger) == before


@pytest.mark.parametrize(
    "end",
    [
        pytest.param(lambda ledger: disable_user(ledger, "bob", actor=ACTOR), id="disabled"),
        pytest.param(
            lambda ledger: set_password(ledger, "bob", PASSWORD + "!", actor=ACTOR), id="new-password"
        ),
        pytest.param(lambda ledger: delete_user(ledger, "bob", actor=ACTOR), id="deleted"),
    ],
)
def test_session_ends_at_once_with_its_user(ledger: Ledger, end: Callable[[Ledger], object]) -> None:
    secret = _signed_in_bob(ledger)

    end(ledger)

    assert session_principal(ledger, secret, NOW) is None
    assert count_rows(ledger, BrowserSession) == 0


def test_disabled_user_session_stays_ended_when_enabled_again(ledger: Ledger) -> None:
    secret = _signed_in_bob(ledger)
    disable_user(ledger, "bob", actor=ACTOR)

    enable_user(ledger, "bob", actor=ACTOR)

    assert session_principal(ledger, secret, NOW) is None


def test_session_of_a_user_flagged_disabled_is_refused(ledger: Ledger) -> None:
    # However the flag got there (another process, a restore), the lookup itself checks it.
    secret = _signed_in_bob(ledger)
    with ledger.engine.begin() as connection:
        connection.execute(update(User).where(User.name == "bob").values(disabled=True))

    assert session_principal(ledger, secret, NOW) is None


@pytest.mark.parametrize(
    ("name", "password", "setup"),
    [
        pytest.param("nobody", PASSWORD, "none", id="unknown-user"),
        pytest.param("bob", PASSWORD + "!", "none", id="wrong-password"),
        pytest.param("bob", PASSWORD, "disable", id="disabled"),
        pytest.param("bob", PASSWORD, "lock", id="locked"),
        pytest.param("ci", "", "none", id="service-account"),
    ],
)
def test_open_session_refusals_look_alike_and_open_nothing(
    ledger: Ledger, name: str, password: str, setup: str
) -> None:
    _person(ledger)
    create_user(ledger, "ci", actor=ACTOR, kind=UserKind.SERVICE)
    if setup == "disable":
        disable_user(ledger, "bob", actor=ACTOR)
    if setup == "lock":
        _fail(ledger, 5)

    with pytest.raises(AuthenticationError, match=r"^wrong user name or password$"):
        open_session(ledger, name, password, NOW)
    assert count_rows(ledger, BrowserSession) == 0
    assert "login" not in [change.action for change in all_changes(ledger)]


def _fail(ledger: Ledger, times: int) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError):
            open_session(ledger, "bob", "wrong password!", NOW)


def test_five_wrong_passwords_lock_the_login_for_fifteen_minutes(ledger: Ledger) -> None:
    _person(ledger)
    _fail(ledger, 4)
    assert open_session(ledger, "bob", PASSWORD, NOW)[0].user == "bob"  # a success resets the count
    _fail(ledger, 5)

    with pytest.raises(AuthenticationError):
        open_session(ledger, "bob", PASSWORD, NOW + timedelta(minutes=14, seconds=59))
    assert open_session(ledger, "bob", PASSWORD, NOW + timedelta(minutes=15))[0].user == "bob"
    assert [change.action for change in all_changes(ledger)].count("lock") == 1


def test_lockout_leaves_open_sessions_alone(ledger: Ledger) -> None:
    # Someone guessing bob's password must not be able to throw bob out.
    secret = _signed_in_bob(ledger)

    _fail(ledger, 5)

    assert session_principal(ledger, secret, NOW) is not None


def test_delete_expired_sessions_removes_only_ended_ones(ledger: Ledger) -> None:
    _person(ledger)
    _, old, _ = open_session(ledger, "bob", PASSWORD, NOW)  # in use for 12 hours
    for hour in range(1, 10):
        session_principal(ledger, old, NOW + timedelta(hours=hour))
    open_session(ledger, "bob", PASSWORD, NOW + timedelta(hours=9, minutes=30))  # idle from then on
    for hour in (10, 11):
        session_principal(ledger, old, NOW + timedelta(hours=hour))
    _, live, _ = open_session(ledger, "bob", PASSWORD, NOW + timedelta(hours=11))

    assert delete_expired_sessions(ledger, NOW + SESSION_LIFETIME) == 2

    assert [row.secret_hash for row in _sessions(ledger)] == [hashlib.sha256(live.encode()).hexdigest()]
    assert session_principal(ledger, live, NOW + SESSION_LIFETIME) is not None


def test_open_session_deletes_ended_sessions(ledger: Ledger) -> None:
    _signed_in_bob(ledger)

    open_session(ledger, "bob", PASSWORD, NOW + IDLE_TIMEOUT)

    assert count_rows(ledger, BrowserSession) == 1
