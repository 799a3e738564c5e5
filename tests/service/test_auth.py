"""Users, grants and API tokens: what is stored (hashes only), who gets in, and who is refused.

Hashing uses cheap argon2id parameters here (the ``_fast_hashes`` fixture): the rules under test
do not depend on the cost, and the production cost would make each login a fifth of a second.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError
from ipledger.core.permissions import AccessRole, AuthenticationError, Grant, TokenScope, UserKind
from ipledger.service import auth
from ipledger.service.auth import (
    authenticate_token,
    check_password,
    create_token,
    create_user,
    delete_user,
    disable_user,
    enable_user,
    ensure_first_admin,
    ensure_service_account,
    grant,
    list_tokens,
    list_users,
    load_principal,
    revoke_grant,
    revoke_token,
    set_password,
    show_user,
)
from ipledger.service.groups import delete_group, move_group
from ipledger.service.ledger import Ledger
from ipledger.store.models import ApiToken, User, UserGrant
from tests.service.factories import ACTOR, add_group, all_changes, count_rows

VIEWER, EDITOR, ADMIN = AccessRole.VIEWER, AccessRole.EDITOR, AccessRole.ADMIN
PASSWORD = "correct horse battery"
TOKEN_FORMAT = re.compile(r"ipl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    auth._decoy_hash.cache_clear()
    yield
    auth._decoy_hash.cache_clear()


def _now() -> datetime:
    return datetime.now(UTC)


def _person(ledger: Ledger, name: str = "bob", *grants: Grant) -> None:
    create_user(ledger, name, actor=ACTOR, password=PASSWORD)
    for given in grants:
        grant(ledger, name, given.role, group=given.group, actor=ACTOR)


def _stored(ledger: Ledger, column: object) -> list[object]:
    with ledger.reading() as session:
        return list(session.scalars(select(column)))  # type: ignore[call-overload]


def _audit_text(ledger: Ledger) -> str:
    return json.dumps([(change.object_label, change.before, change.after) for change in all_changes(ledger)])


def test_create_user_keeps_only_an_argon2id_hash(ledger: Ledger) -> None:
    record = create_user(ledger, " Bob ", actor=ACTOR, password=PASSWORD)

    (stored,) = _stored(ledger, User.password_hash)
    assert isinstance(stored, str) and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert (record.name, record.kind, record.has_password, record.grants) == ("bob", UserKind.HUMAN, True, ())
    assert stored not in _audit_text(ledger) and PASSWORD not in _audit_text(ledger)
    assert stored not in repr(list_users(ledger))


@pytest.mark.parametrize(
    "name",
    ["", "two words", "-dash-first", "x" * 101, "slash/name"],
    ids=["empty", "space", "dash", "long", "slash"],
)
def test_create_user_refuses_bad_names(ledger: Ledger, name: str) -> None:
    with pytest.raises(InvalidInputError, match="must be 1 to 100 letters"):
        create_user(ledger, name, actor=ACTOR)


def test_create_user_refuses_the_ledgers_own_name(ledger: Ledger) -> None:
    with pytest.raises(InvalidInputError, match="'ipledger' is reserved"):
        create_user(ledger, "IPLedger", actor=ACTOR)


@pytest.mark.parametrize(
    ("kind", "password", "error", "message"),
    [
        pytest.param(UserKind.SERVICE, PASSWORD, InvalidInputError, "has no password", id="service-password"),
        pytest.param(UserKind.HUMAN, "short", InvalidInputError, "password too short", id="weak"),
        pytest.param(UserKind.HUMAN, "i-am-BOB-really", InvalidInputError, "user name 'bob'", id="has-name"),
        pytest.param(UserKind.HUMAN, None, ConflictError, "user bob already exists", id="duplicate"),
    ],
)
def test_create_user_refusals_write_nothing(
    ledger: Ledger, kind: UserKind, password: str | None, error: type[Exception], message: str
) -> None:
    create_user(ledger, "BOB", actor=ACTOR)
    with pytest.raises(error, match=message):
        create_user(ledger, "bob", actor=ACTOR, kind=kind, password=password)
    assert count_rows(ledger, User) == 1


def test_set_password_refused_for_service_accounts(ledger: Ledger) -> None:
    create_user(ledger, "ci", actor=ACTOR, kind=UserKind.SERVICE)
    with pytest.raises(InvalidInputError, match="service account ci has no password"):
        set_password(ledger, "ci", PASSWORD, actor=ACTOR)


def test_set_password_lets_a_user_without_one_sign_in(ledger: Ledger) -> None:
    create_user(ledger, "bob", actor=ACTOR)
    with pytest.raises(AuthenticationError):
        check_password(ledger, "bob", PASSWORD, _now())

    assert set_password(ledger, "bob", PASSWORD, actor=ACTOR).has_password
    assert check_password(ledger, "bob", PASSWORD, _now()).name == "bob"
    assert all_changes(ledger)[-1].after == {"has_password": True}


def test_grant_covers_the_groups_subtree(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod/eu")
    add_group(ledger, "dc1")
    _person(ledger, "bob", Grant(EDITOR, "k8s/prod"), Grant(VIEWER))

    principal = check_password(ledger, "bob", PASSWORD, _now())
    assert principal.grants == (Grant(VIEWER), Grant(EDITOR, "k8s/prod"))
    assert [principal.can_write(group) for group in ("k8s/prod/eu", "k8s/prod", "k8s", "dc1", None)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert principal.can_read() and not principal.can_administer()


def test_grant_follows_its_group_when_moved(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")
    add_group(ledger, "archive")
    _person(ledger, "bob", Grant(EDITOR, "k8s/prod"))

    move_group(ledger, "k8s/prod", actor=ACTOR, new_parent="archive")

    assert show_user(ledger, "bob").grants == (Grant(EDITOR, "archive/prod"),)


def test_group_with_grants_is_not_deleted(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    _person(ledger, "bob", Grant(EDITOR, "k8s"))

    with pytest.raises(ConflictError):
        delete_group(ledger, "k8s", actor=ACTOR)
    assert show_user(ledger, "bob").grants == (Grant(EDITOR, "k8s"),)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param("grant", NotFoundError, "no group 'nowhere'", id="grant-unknown-group"),
        pytest.param("grant-twice", ConflictError, "bob already has editor on k8s", id="grant-duplicate"),
        pytest.param("revoke", NotFoundError, "bob has no grant of viewer everywhere", id="revoke-missing"),
        pytest.param("grant-nobody", NotFoundError, "no user 'nobody'", id="unknown-user"),
    ],
)
def test_grant_refusals(ledger: Ledger, call: str, error: type[Exception], message: str) -> None:
    add_group(ledger, "k8s")
    _person(ledger, "bob", Grant(EDITOR, "k8s"))
    calls = {
        "grant": lambda: grant(ledger, "bob", EDITOR, group="nowhere", actor=ACTOR),
        "grant-twice": lambda: grant(ledger, "bob", EDITOR, group="k8s", actor=ACTOR),
        "revoke": lambda: revoke_grant(ledger, "bob", VIEWER, actor=ACTOR),
        "grant-nobody": lambda: grant(ledger, "nobody", VIEWER, actor=ACTOR),
    }
    with pytest.raises(error, match=message):
        calls[call]()


def test_revoke_grant_takes_effect_on_the_next_login(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    _person(ledger, "bob", Grant(EDITOR, "k8s"), Grant(VIEWER))

    record = revoke_grant(ledger, "bob", EDITOR, group="k8s", actor=ACTOR)

    assert record.grants == (Grant(VIEWER),)
    assert not check_password(ledger, "bob", PASSWORD, _now()).can_write("k8s")
    assert [(change.action, change.object_kind, change.object_label) for change in all_changes(ledger)][
        -1
    ] == (
        "delete",
        "grant",
        "bob: editor on k8s",
    )


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda ledger: disable_user(ledger, "admin", actor=ACTOR), id="disable"),
        pytest.param(lambda ledger: delete_user(ledger, "admin", actor=ACTOR), id="delete"),
        pytest.param(lambda ledger: revoke_grant(ledger, "admin", ADMIN, actor=ACTOR), id="revoke"),
    ],
)
def test_last_enabled_admin_is_kept(ledger: Ledger, call: Callable[[Ledger], object]) -> None:
    ensure_first_admin(ledger, password_from_env=None)
    with pytest.raises(ConflictError, match="it is the last enabled admin"):
        call(ledger)

    _person(ledger, "bob", Grant(ADMIN))
    call(ledger)


def test_disabled_user_is_refused_and_enable_restores(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    _, plain = create_token(ledger, "bob", name="deploy", actor=ACTOR)

    assert disable_user(ledger, "bob", actor=ACTOR).disabled
    assert authenticate_token(ledger, plain, _now()) is None
    assert load_principal(ledger, "bob") is None
    with pytest.raises(ConflictError, match="bob is already disabled"):
        disable_user(ledger, "bob", actor=ACTOR)

    assert not enable_user(ledger, "bob", actor=ACTOR).disabled
    assert authenticate_token(ledger, plain, _now()) is not None
    with pytest.raises(ConflictError, match="bob is already enabled"):
        enable_user(ledger, "bob", actor=ACTOR)


def test_delete_user_refused_while_tokens_are_usable(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    _person(ledger, "bob", Grant(EDITOR, "k8s"))
    token, _ = create_token(ledger, "bob", name="deploy", actor=ACTOR)
    with pytest.raises(ConflictError, match=r"bob still has 1 usable API token\(s\) \(deploy\)"):
        delete_user(ledger, "bob", actor=ACTOR)

    revoke_token(ledger, token.id, actor=ACTOR)
    deleted = delete_user(ledger, "bob", actor=ACTOR)

    assert deleted.grants == (Grant(EDITOR, "k8s"),)
    assert [count_rows(ledger, model) for model in (User, UserGrant, ApiToken)] == [0, 0, 0]
    assert all_changes(ledger)[-1].before == {
        "name": "bob",
        "kind": "human",
        "has_password": True,
        "disabled": False,
        "grants": ["editor on k8s"],
        "version": 2,
    }


def test_list_users_gives_grants_without_hashes(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    _person(ledger, "carol", Grant(ADMIN))
    create_user(ledger, "ci", actor=ACTOR, kind=UserKind.SERVICE)
    grant(ledger, "ci", EDITOR, group="k8s", actor=ACTOR)

    users = list_users(ledger)

    assert [(user.name, user.kind, user.has_password, user.grants) for user in users] == [
        ("carol", UserKind.HUMAN, True, (Grant(ADMIN),)),
        ("ci", UserKind.SERVICE, False, (Grant(EDITOR, "k8s"),)),
    ]


def test_create_token_stores_only_its_sha256(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    record, plain = create_token(ledger, "bob", name="deploy", actor=ACTOR)

    assert TOKEN_FORMAT.fullmatch(plain) and plain.startswith(record.prefix + "_")
    assert _stored(ledger, ApiToken.token_hash) == [hashlib.sha256(plain.encode()).hexdigest()]
    # The secret is URL-safe base64, which may itself hold "_": cut at the known prefix, not the last "_".
    secret = plain.removeprefix(record.prefix + "_")
    assert len(secret) == 43
    assert secret not in _audit_text(ledger) and plain not in repr(list_tokens(ledger))
    assert str(_stored(ledger, ApiToken.token_hash)[0]) not in _audit_text(ledger) + repr(list_tokens(ledger))


def test_create_token_defaults_to_read_write_for_90_days(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    record, _ = create_token(ledger, "bob", name="deploy", actor=ACTOR)

    assert record.scope is TokenScope.READ_WRITE
    assert record.expires_at == record.created_at + timedelta(days=90)
    assert (record.last_used_at, record.revoked_at, record.state(record.created_at)) == (None, None, "active")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"name": " "}, "token name ' ' must have 1 to 100 characters", id="blank-name"),
        pytest.param({"expires_in": timedelta(0)}, "must be positive", id="zero-lifetime"),
    ],
)
def test_create_token_refuses_bad_input(ledger: Ledger, options: dict[str, object], message: str) -> None:
    _person(ledger)
    with pytest.raises(InvalidInputError, match=message):
        create_token(ledger, "bob", actor=ACTOR, **{"name": "deploy", **options})  # type: ignore[arg-type]


def test_create_token_refused_for_disabled_user(ledger: Ledger) -> None:
    _person(ledger)
    disable_user(ledger, "bob", actor=ACTOR)
    with pytest.raises(ConflictError, match="user bob is disabled"):
        create_token(ledger, "bob", name="deploy", actor=ACTOR)


def test_authenticate_token_gives_user_grants_and_actor(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    create_user(ledger, "ci", actor=ACTOR, kind=UserKind.SERVICE)
    grant(ledger, "ci", EDITOR, group="k8s", actor=ACTOR)
    _, plain = create_token(ledger, "ci", name="deploy-bot", actor=ACTOR)

    principal = authenticate_token(ledger, plain, _now())

    assert principal is not None
    assert (principal.actor, principal.kind, principal.grants) == (
        "ci (token deploy-bot)",
        UserKind.SERVICE,
        (Grant(EDITOR, "k8s"),),
    )
    assert principal.can_write("k8s") and not principal.read_only


def test_read_only_token_never_writes_even_for_an_admin(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(ADMIN))
    _, plain = create_token(ledger, "bob", name="dash", actor=ACTOR, scope=TokenScope.READ_ONLY)

    principal = authenticate_token(ledger, plain, _now())

    assert principal is not None and principal.read_only and principal.can_read()
    assert not principal.can_write(None) and not principal.can_administer()


def test_token_expires_at_its_time(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    record, plain = create_token(ledger, "bob", name="deploy", actor=ACTOR, expires_in=timedelta(days=1))
    assert record.expires_at is not None

    assert authenticate_token(ledger, plain, record.expires_at - timedelta(seconds=1)) is not None
    assert authenticate_token(ledger, plain, record.expires_at) is None
    assert list_tokens(ledger)[0].state(record.expires_at) == "expired"


def test_token_without_expiry_keeps_working(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    record, plain = create_token(ledger, "bob", name="forever", actor=ACTOR, expires_in=None)

    assert record.expires_at is None
    assert authenticate_token(ledger, plain, _now() + timedelta(days=3650)) is not None


def test_revoked_token_is_refused_at_once(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    record, plain = create_token(ledger, "bob", name="deploy", actor=ACTOR)
    assert authenticate_token(ledger, plain, _now()) is not None

    revoked = revoke_token(ledger, record.id, actor=ACTOR)

    assert authenticate_token(ledger, plain, _now()) is None
    assert revoked.state(_now()) == "revoked"
    assert all_changes(ledger)[-1].action == "revoke"
    with pytest.raises(ConflictError, match=f"API token {record.id} \\(deploy\\) is already revoked"):
        revoke_token(ledger, record.id, actor=ACTOR)
    with pytest.raises(NotFoundError, match="no API token with id 999"):
        revoke_token(ledger, 999, actor=ACTOR)


def _tampered(plain: str) -> str:
    last = plain[-1]
    return plain[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "presented",
    [
        pytest.param(_tampered, id="wrong-secret"),
        pytest.param(lambda plain: "ipl_00000000_" + plain.rsplit("_", 1)[1], id="unknown-prefix"),
        pytest.param(lambda plain: plain[:-1], id="short"),
        pytest.param(lambda plain: plain + "x", id="long"),
        pytest.param(lambda plain: "Bearer " + plain, id="with-scheme"),
        pytest.param(lambda plain: "", id="empty"),
    ],
)
def test_authenticate_token_refuses_anything_else(ledger: Ledger, presented: Callable[[str], str]) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    _, plain = create_token(ledger, "bob", name="deploy", actor=ACTOR)

    assert authenticate_token(ledger, presented(plain), _now()) is None


def test_token_last_use_is_recorded_at_most_once_a_minute(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    _, plain = create_token(ledger, "bob", name="deploy", actor=ACTOR)
    start = _now()

    seen = []
    for seconds in (0, 30, 59, 60, 61):
        authenticate_token(ledger, plain, start + timedelta(seconds=seconds))
        seen.append(list_tokens(ledger)[0].last_used_at)

    assert seen == [start] * 3 + [start + timedelta(seconds=60)] * 2


def test_list_tokens_filters_by_user(ledger: Ledger) -> None:
    _person(ledger, "bob")
    _person(ledger, "carol")
    for owner, name in (("carol", "c1"), ("bob", "b1"), ("bob", "b2")):
        create_token(ledger, owner, name=name, actor=ACTOR)

    assert [(token.user, token.name) for token in list_tokens(ledger)] == [
        ("bob", "b1"),
        ("bob", "b2"),
        ("carol", "c1"),
    ]
    assert [token.name for token in list_tokens(ledger, user="carol")] == ["c1"]
    with pytest.raises(NotFoundError, match="no user 'dave'"):
        list_tokens(ledger, user="dave")


def test_check_password_returns_the_principal(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(ADMIN))

    principal = check_password(ledger, " BOB ", PASSWORD, _now())

    assert (principal.actor, principal.token, principal.read_only) == ("bob", None, False)
    assert principal.can_administer()


@pytest.mark.parametrize(
    ("name", "password", "setup"),
    [
        pytest.param("nobody", PASSWORD, "none", id="unknown-user"),
        pytest.param("bob", PASSWORD + "!", "none", id="wrong-password"),
        pytest.param("bob", PASSWORD, "disable", id="disabled"),
        pytest.param("bob", PASSWORD, "lock", id="locked"),
        pytest.param("ci", "", "none", id="service-account"),
        pytest.param("nopass", "", "none", id="no-password-set"),
        pytest.param("bob", "x" * 1025, "none", id="over-long"),
    ],
)
def test_check_password_refusals_look_alike(ledger: Ledger, name: str, password: str, setup: str) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    create_user(ledger, "ci", actor=ACTOR, kind=UserKind.SERVICE)
    create_user(ledger, "nopass", actor=ACTOR)
    now = _now()
    if setup == "disable":
        disable_user(ledger, "bob", actor=ACTOR)
    if setup == "lock":
        for _ in range(5):
            with pytest.raises(AuthenticationError):
                check_password(ledger, "bob", "wrong password!", now)

    with pytest.raises(AuthenticationError, match=r"^wrong user name or password$"):
        check_password(ledger, name, password, now)


def _fail(ledger: Ledger, times: int, now: datetime) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError):
            check_password(ledger, "bob", "wrong password!", now)


def test_five_failures_lock_for_fifteen_minutes(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    now = _now()
    _fail(ledger, 5, now)

    with pytest.raises(AuthenticationError):
        check_password(ledger, "bob", PASSWORD, now + timedelta(minutes=14, seconds=59))
    assert check_password(ledger, "bob", PASSWORD, now + timedelta(minutes=15)).name == "bob"
    lock = next(change for change in all_changes(ledger) if change.action == "lock")
    assert (lock.actor, lock.object_label, lock.after) == (
        "ipledger",
        "bob",
        {"locked_until": (now + timedelta(minutes=15)).isoformat(), "failed_logins": 5},
    )


def test_success_resets_the_failure_count(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    now = _now()
    _fail(ledger, 4, now)
    check_password(ledger, "bob", PASSWORD, now)
    _fail(ledger, 4, now)

    assert check_password(ledger, "bob", PASSWORD, now).name == "bob"


@pytest.mark.parametrize(
    "unlock",
    [
        pytest.param(lambda ledger: enable_user(ledger, "bob", actor=ACTOR), id="enable"),
        pytest.param(lambda ledger: set_password(ledger, "bob", PASSWORD, actor=ACTOR), id="new-password"),
    ],
)
def test_admin_ends_a_lockout_early(ledger: Ledger, unlock: Callable[[Ledger], object]) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    now = _now()
    _fail(ledger, 5, now)

    unlock(ledger)

    assert check_password(ledger, "bob", PASSWORD, now).name == "bob"


def test_check_password_upgrades_an_outdated_hash(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    _person(ledger, "bob", Grant(VIEWER))
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=2, memory_cost=64, parallelism=1))

    check_password(ledger, "bob", PASSWORD, _now())

    (stored,) = _stored(ledger, User.password_hash)
    assert isinstance(stored, str) and ",t=2," in stored
    assert check_password(ledger, "bob", PASSWORD, _now()).name == "bob"


def test_ensure_first_admin_generates_a_password_once(ledger: Ledger) -> None:
    password = ensure_first_admin(ledger, password_from_env=None)

    assert password is not None and len(password) >= 20
    assert check_password(ledger, "admin", password, _now()).can_administer()
    assert ensure_first_admin(ledger, password_from_env=None) is None
    assert [user.name for user in list_users(ledger)] == ["admin"]
    assert password not in _audit_text(ledger)


def test_ensure_first_admin_takes_the_password_from_the_environment(ledger: Ledger) -> None:
    assert ensure_first_admin(ledger, password_from_env=PASSWORD) is None

    assert check_password(ledger, "admin", PASSWORD, _now()).grants == (Grant(ADMIN),)


@pytest.mark.parametrize("password", ["", "admin", "admin-password-2025"], ids=["empty", "short", "has-name"])
def test_ensure_first_admin_refuses_a_weak_environment_password(ledger: Ledger, password: str) -> None:
    with pytest.raises(InvalidInputError, match="password"):
        ensure_first_admin(ledger, password_from_env=password)
    assert count_rows(ledger, User) == 0


def test_ensure_first_admin_leaves_existing_users_alone(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))

    assert ensure_first_admin(ledger, password_from_env=None) is None
    assert [user.name for user in list_users(ledger)] == ["bob"]


def test_ensure_service_account_creates_it_once(ledger: Ledger) -> None:
    ensure_service_account(ledger, "scheduler", role=EDITOR)
    disable_user(ledger, "scheduler", actor=ACTOR)
    ensure_service_account(ledger, "scheduler", role=EDITOR)

    (user,) = list_users(ledger)
    assert (user.kind, user.grants, user.disabled) == (UserKind.SERVICE, (Grant(EDITOR),), True)
    assert load_principal(ledger, "scheduler") is None


def test_load_principal_gives_current_grants(ledger: Ledger) -> None:
    _person(ledger, "bob", Grant(VIEWER))

    principal = load_principal(ledger, "bob")

    assert principal is not None and principal.grants == (Grant(VIEWER),)
    assert load_principal(ledger, "nobody") is None
