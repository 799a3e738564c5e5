"""Users, grants and API tokens, and how a request proves who it is (a password or a token).

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106's
second recommended profile); a wrong password, an unknown, locked or disabled user and a
service account all get the same refusal after the same amount of work, so a login never tells
which names exist. Five failures in a row lock a user for 15 minutes.

An API token reads ``ipl_<prefix>_<secret>``: ``prefix`` is 8 random hex digits, stored in clear
to find the token and to show it (``ipl_<prefix>``); ``secret`` is 32 random bytes in URL-safe
base64 (43 characters). Only the SHA-256 of the whole token is stored. A slow hash such as argon2
protects guessable secrets; a 256-bit random secret cannot be guessed however fast the hash, so
SHA-256 keeps every API request cheap without weakening anything. The plain token is returned once,
by :func:`create_token`, and never again.

Audit snapshots hold names, kinds, flags and times, never a hash or a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ipledger.core.errors import ConflictError, InvalidInputError, LedgerError, NotFoundError
from ipledger.core.permissions import (
    LOCKOUT_DURATION,
    LOCKOUT_THRESHOLD,
    MAX_PASSWORD_LENGTH,
    AccessRole,
    AuthenticationError,
    Grant,
    Principal,
    TokenScope,
    UserKind,
    check_password_policy,
    is_locked,
)
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.lookup import load_group
from ipledger.store import auth as store
from ipledger.store import sessions
from ipledger.store.database import Session
from ipledger.store.models import ApiToken, User, UserGrant

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "FIRST_ADMIN",
    "LOGIN_REFUSED",
    "SYSTEM_ACTOR",
    "Principal",
    "TokenRecord",
    "UserRecord",
    "authenticate_token",
    "check_password",
    "create_token",
    "create_user",
    "delete_user",
    "disable_user",
    "enable_user",
    "ensure_first_admin",
    "ensure_service_account",
    "grant",
    "list_tokens",
    "list_users",
    "load_principal",
    "revoke_grant",
    "revoke_token",
    "set_password",
    "show_user",
    "sorted_grants",
]

FIRST_ADMIN = "admin"
# Who the audit log names for what the ledger does by itself (first start, login lockouts).
SYSTEM_ACTOR = "ipledger"
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
# The one answer to every refused login, whatever the reason.
LOGIN_REFUSED = "wrong user name or password"
# Recording every use of a token would make each API read a write; once a minute is enough to
# tell which tokens are still in use.
_TOUCH_EVERY = timedelta(minutes=1)
_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,99}")
_TOKEN = re.compile(r"ipl_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")
_HASHER = PasswordHasher()


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as the ledger shows it: never its password hash, only whether it has one."""

    id: int
    name: str
    kind: UserKind
    has_password: bool
    disabled: bool
    locked_until: datetime | None
    grants: tuple[Grant, ...]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as the ledger shows it: its display prefix, never its hash or secret."""

    id: int
    user: str
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired`` (at ``expires_at`` itself) or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


def create_user(
    ledger: Ledger,
    name: str,
    *,
    actor: Actor,
    kind: UserKind = UserKind.HUMAN,
    password: str | None = None,
) -> UserRecord:
    """Create a user without grants; a person may get a password now or later, a service none.

    Raises:
        InvalidInputError: a bad name, a password for a service account, or a weak password.
        ConflictError: the name is taken.
    """
    cleaned = _clean_name(name)
    if kind is UserKind.SERVICE and password is not None:
        raise InvalidInputError(f"service account {cleaned} has no password; it uses API tokens")
    hashed = None if password is None else _hash_password(password, user_name=cleaned)
    with ledger.transaction(actor) as tx:
        if store.find_user(tx.session, cleaned) is not None:
            raise ConflictError(f"user {cleaned} already exists")
        user = _insert_user(tx, cleaned, kind, hashed)
        return _user_record(tx.session, user)


def set_password(ledger: Ledger, name: str, password: str, *, actor: Actor) -> UserRecord:
    """Give a person a new password; this also ends a lockout, clears the failed-login count and
    ends the user's browser sessions.

    Raises:
        InvalidInputError: a service account, or a password the policy refuses.
        NotFoundError: no such user.
    """
    cleaned = name.strip().lower()
    hashed = _hash_password(password, user_name=cleaned)
    with ledger.transaction(actor) as tx:
        user = _load_user(tx.session, cleaned)
        if user.kind == UserKind.SERVICE:
            raise InvalidInputError(f"service account {user.name} has no password; it uses API tokens")
        before = {"has_password": user.password_hash is not None}
        user.password_hash = hashed
        user.failed_logins, user.locked_until = 0, None
        # Whoever signed in with the old password (perhaps the reason for the new one) is out.
        sessions.delete_user_sessions(tx.session, user.id)
        _touch(tx, user)
        tx.record("set-password", "user", user.id, user.name, before=before, after={"has_password": True})
        return _user_record(tx.session, user)


def disable_user(ledger: Ledger, name: str, *, actor: Actor) -> UserRecord:
    """Refuse the user's logins and tokens from now on (tokens stay, and work again on enable;
    browser sessions are deleted).

    Raises:
        ConflictError: already disabled, or the last enabled admin.
    """
    with ledger.transaction(actor) as tx:
        user = _load_user(tx.session, name)
        if user.disabled:
            raise ConflictError(f"user {user.name} is already disabled")
        _refuse_last_admin(tx.session, user, doing="disable")
        # Unlike tokens (automation, revoked one by one), browser sessions end for good.
        sessions.delete_user_sessions(tx.session, user.id)
        return _update(tx, user, disabled=True)


def enable_user(ledger: Ledger, name: str, *, actor: Actor) -> UserRecord:
    """Let a disabled or locked-out user in again (a lockout ends early).

    Raises:
        ConflictError: the user is enabled and not locked.
    """
    with ledger.transaction(actor) as tx:
        user = _load_user(tx.session, name)
        if not user.disabled and not is_locked(user.locked_until, tx.now):
            raise ConflictError(f"user {user.name} is already enabled")
        return _update(tx, user, disabled=False, failed_logins=0, locked_until=None)


def delete_user(ledger: Ledger, name: str, *, actor: Actor) -> UserRecord:
    """Delete a user with its grants, browser sessions and revoked or expired tokens; the audit
    log keeps its name.

    A user that still holds usable tokens is refused: deleting would cut off the automation that
    uses them without warning. Revoke them first (or disable the user, which is reversible).

    Raises:
        ConflictError: usable tokens remain, or the user is the last enabled admin.
    """
    with ledger.transaction(actor) as tx:
        user = _load_user(tx.session, name)
        live = store.list_live_token_names(tx.session, user.id, tx.now)
        if live:
            raise ConflictError(
                f"user {user.name} still has {len(live)} usable API token(s) ({', '.join(live)}); "
                "revoke them first"
            )
        _refuse_last_admin(tx.session, user, doing="delete")
        hooks = store.list_owned_webhook_ids(tx.session, user.id)
        if hooks:
            listed = ", ".join(f"#{hook}" for hook in hooks)
            raise ConflictError(f"user {user.name} owns webhook(s) {listed}; delete them first")
        record = _user_record(tx.session, user)
        tx.record("delete", "user", user.id, user.name, before=_user_snapshot(record))
        store.delete_user_rows(tx.session, user.id)
        tx.session.delete(user)
        return record


def list_users(ledger: Ledger) -> list[UserRecord]:
    with ledger.reading() as session:
        users = store.list_users(session)
        grants = store.grants_by_user(session, [user.id for user in users])
        return [_record_of(user, grants.get(user.id, [])) for user in users]


def show_user(ledger: Ledger, name: str) -> UserRecord:
    with ledger.reading() as session:
        return _user_record(session, _load_user(session, name))


def grant(
    ledger: Ledger, name: str, role: AccessRole, *, actor: Actor, group: str | None = None
) -> UserRecord:
    """Give a user ``role`` on ``group`` and everything below it (None: everywhere).

    Raises:
        NotFoundError: no such user or group.
        ConflictError: the user already has exactly this grant.
    """
    with ledger.transaction(actor) as tx:
        user = _load_user(tx.session, name)
        group_id, path = _group_of(tx.session, group)
        given = Grant(role, path)
        if store.find_grants(tx.session, user.id, role.value, group_id):
            raise ConflictError(f"user {user.name} already has {given}")
        tx.session.add(UserGrant(user_id=user.id, role=role.value, group_id=group_id, created_at=tx.now))
        _touch(tx, user)
        tx.record("create", "grant", user.id, f"{user.name}: {given}", after=_grant_snapshot(user, given))
        return _user_record(tx.session, user)


def revoke_grant(
    ledger: Ledger, name: str, role: AccessRole, *, actor: Actor, group: str | None = None
) -> UserRecord:
    """Take back a grant given by :func:`grant`; other grants of the user stay.

    Raises:
        NotFoundError: no such user, group or grant.
        ConflictError: it is the global admin grant of the last enabled admin.
    """
    with ledger.transaction(actor) as tx:
        user = _load_user(tx.session, name)
        group_id, path = _group_of(tx.session, group)
        taken = Grant(role, path)
        found = store.find_grants(tx.session, user.id, role.value, group_id)
        if not found:
            raise NotFoundError(f"user {user.name} has no grant of {taken}")
        if role is AccessRole.ADMIN and group_id is None:
            _refuse_last_admin(tx.session, user, doing="take admin from")
        for row in found:
            tx.session.delete(row)
        _touch(tx, user)
        tx.record("delete", "grant", user.id, f"{user.name}: {taken}", before=_grant_snapshot(user, taken))
        return _user_record(tx.session, user)


def create_token(
    ledger: Ledger,
    user: str,
    *,
    name: str,
    actor: Actor,
    scope: TokenScope = TokenScope.READ_WRITE,
    expires_in: timedelta | None = DEFAULT_TOKEN_LIFETIME,
) -> tuple[TokenRecord, str]:
    """A new API token of ``user`` and its plain text, which is shown this once and never stored.

    ``expires_in`` None makes a token that never expires.

    Raises:
        InvalidInputError: an empty or over-long name, or a lifetime that is not positive.
        NotFoundError: no such user.
        ConflictError: the user is disabled.
    """
    label = name.strip()
    if not label or len(label) > 100:
        raise InvalidInputError(f"token name {name!r} must have 1 to 100 characters", field="name")
    if expires_in is not None and expires_in <= timedelta(0):
        raise InvalidInputError(f"token lifetime {expires_in} must be positive", field="expires_in")
    with ledger.transaction(actor) as tx:
        owner = _load_user(tx.session, user)
        if owner.disabled:
            raise ConflictError(f"user {owner.name} is disabled; enable it before creating tokens")
        prefix, plain = _new_token(tx.session)
        token = ApiToken(
            user_id=owner.id,
            name=label,
            prefix=prefix,
            token_hash=_hash_token(plain),
            scope=scope.value,
            created_at=tx.now,
            expires_at=None if expires_in is None else tx.now + expires_in,
        )
        tx.session.add(token)
        tx.session.flush()
        record = _token_record(token, owner.name)
        tx.record("create", "token", token.id, _token_label(record), after=_token_snapshot(record))
        return record, plain


def list_tokens(ledger: Ledger, *, user: str | None = None) -> list[TokenRecord]:
    """Tokens (revoked and expired ones included) by user, then age; never their hashes."""
    with ledger.reading() as session:
        user_id = None if user is None else _load_user(session, user).id
        return [_token_record(token, owner) for token, owner in store.list_tokens(session, user_id=user_id)]


def revoke_token(ledger: Ledger, token_id: int, *, actor: Actor) -> TokenRecord:
    """Revoke a token; the next request that uses it is refused.

    Raises:
        NotFoundError: no token with that id.
        ConflictError: already revoked.
    """
    with ledger.transaction(actor) as tx:
        found = store.find_token(tx.session, token_id)
        if found is None:
            raise NotFoundError(f"no API token with id {token_id}")
        token, owner = found
        if token.revoked_at is not None:
            raise ConflictError(f"API token {token_id} ({token.name}) is already revoked")
        before = _token_snapshot(_token_record(token, owner.name))
        token.revoked_at = tx.now
        record = _token_record(token, owner.name)
        tx.record(
            "revoke", "token", token.id, _token_label(record), before=before, after=_token_snapshot(record)
        )
        return record


def authenticate_token(ledger: Ledger, plain: str, now: datetime) -> Principal | None:
    """Who presents ``plain`` at ``now``; None for a malformed, unknown, wrong, expired or
    revoked token and for a disabled user. Records the use (at most once a minute)."""
    parsed = _TOKEN.fullmatch(plain)
    if parsed is None:
        return None
    # One statement on a plain connection: this runs for every request of the API.
    with ledger.database.looking_up() as connection:
        rows = store.token_principal_rows(connection, parsed.group(1))
    if not rows:
        return None
    token = rows[0]
    # Compared in constant time, so response times leak nothing about the stored hash.
    if not hmac.compare_digest(token.token_hash, _hash_token(plain)):
        return None
    expired = token.expires_at is not None and token.expires_at <= now
    if token.disabled or token.revoked_at is not None or expired:
        return None
    principal = Principal(
        token.user_name,
        UserKind(token.kind),
        sorted_grants([(row.role, row.path) for row in rows if row.role is not None]),
        token=token.name,
        read_only=token.scope == TokenScope.READ_ONLY,
    )
    stale = token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY
    if stale:
        with ledger.transaction(principal.actor) as tx:
            store.touch_token(tx.session, token.id, now, every=_TOUCH_EVERY)
    return principal


def check_password(ledger: Ledger, name: str, password: str, now: datetime) -> Principal:
    """The person signing in with ``name`` and ``password`` at ``now``.

    Each wrong password counts; the fifth in a row locks the user for 15 minutes.

    Raises:
        AuthenticationError: always with the same message, whether the user is unknown, a
            service account, disabled, locked, without a password, or the password is wrong.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthenticationError(LOGIN_REFUSED)  # no password was ever set this long: spare the hashing
    cleaned = name.strip().lower()
    with ledger.reading() as session:
        stored = _login_hash(store.find_user(session, cleaned), now)
    if stored is None:
        _verify(_decoy_hash(), password)  # the same work as a real check: timing tells nothing
        raise AuthenticationError(LOGIN_REFUSED)
    if not _verify(stored, password):
        _count_failure(ledger, cleaned, stored, now)
        raise AuthenticationError(LOGIN_REFUSED)
    with ledger.transaction(cleaned) as tx:
        user = store.find_user(tx.session, cleaned, for_update=True)
        if user is None or _login_hash(user, now) != stored:
            raise AuthenticationError(LOGIN_REFUSED)  # changed while the password was checked
        user.failed_logins = 0
        if _HASHER.check_needs_rehash(stored):
            user.password_hash = _HASHER.hash(password)
        return _principal(tx.session, user, token=None)


def load_principal(ledger: Ledger, name: str) -> Principal | None:
    """The user ``name`` with its current grants (a browser session's user, the scheduler's
    service account); None when it does not exist or is disabled."""
    with ledger.reading() as session:
        user = store.find_user(session, name)
        if user is None or user.disabled:
            return None
        return _principal(session, user, token=None)


def ensure_first_admin(ledger: Ledger, *, password_from_env: str | None) -> str | None:
    """On a ledger without users, create ``admin`` with admin rights everywhere.

    Its password is ``password_from_env`` when given, else a generated one, which is returned
    for the caller to print once: there is no default password. Returns None when users exist
    (or another server process created the admin first), and when the password came from the
    environment.

    Raises:
        InvalidInputError: ``password_from_env`` fails the password policy.
    """
    with ledger.reading() as session:
        if store.has_users(session):
            return None
    password = _generate_password() if password_from_env is None else password_from_env
    hashed = _hash_password(password, user_name=FIRST_ADMIN)
    try:
        with ledger.transaction(SYSTEM_ACTOR) as tx:
            if store.has_users(tx.session):
                return None
            user = _insert_user(tx, FIRST_ADMIN, UserKind.HUMAN, hashed)
            _add_grant(tx, user, Grant(AccessRole.ADMIN))
    except ConflictError:
        return None  # a second server process started at the same moment and won
    return password if password_from_env is None else None


def ensure_service_account(
    ledger: Ledger, name: str, *, role: AccessRole, actor: Actor = SYSTEM_ACTOR
) -> None:
    """Create the service account ``name`` with ``role`` everywhere unless it exists; an existing
    one is left as the admins made it (disabled, or with other grants)."""
    cleaned = _clean_name(name)
    with ledger.reading() as session:
        if store.find_user(session, cleaned) is not None:
            return
    with ledger.transaction(actor) as tx:
        if store.find_user(tx.session, cleaned) is None:
            _add_grant(tx, _insert_user(tx, cleaned, UserKind.SERVICE, None), Grant(role))


def _clean_name(name: str) -> str:
    cleaned = name.strip().lower()
    if cleaned == SYSTEM_ACTOR:
        raise InvalidInputError(
            f"user name {cleaned!r} is reserved for the ledger's own actions", field="name"
        )
    if _NAME.fullmatch(cleaned) is None:
        raise InvalidInputError(
            f"user name {name!r} must be 1 to 100 letters, digits, '.', '_', '-' or '@', "
            "starting with a letter or digit",
            field="name",
        )
    return cleaned


def _load_user(session: Session, name: str) -> User:
    user = store.find_user(session, name.strip().lower())
    if user is None:
        raise NotFoundError(f"no user {name!r}")
    return user


def _group_of(session: Session, path: str | None) -> tuple[int | None, str | None]:
    if path is None:
        return None, None
    group = load_group(session, path)
    return group.id, group.path


def _insert_user(tx: Transaction, name: str, kind: UserKind, hashed: str | None) -> User:
    user = User(
        name=name,
        kind=kind.value,
        password_hash=hashed,
        disabled=False,
        failed_logins=0,
        created_at=tx.now,
        updated_at=tx.now,
        version=1,
    )
    tx.session.add(user)
    tx.session.flush()
    tx.record("create", "user", user.id, name, after=_user_snapshot(_user_record(tx.session, user)))
    return user


def _add_grant(tx: Transaction, user: User, given: Grant) -> None:
    group_id = None if given.group is None else load_group(tx.session, given.group).id
    tx.session.add(UserGrant(user_id=user.id, role=given.role.value, group_id=group_id, created_at=tx.now))
    tx.record("create", "grant", user.id, f"{user.name}: {given}", after=_grant_snapshot(user, given))


def _update(tx: Transaction, user: User, **changes: Any) -> UserRecord:
    before = _user_snapshot(_user_record(tx.session, user))
    for key, value in changes.items():
        setattr(user, key, value)
    _touch(tx, user)
    record = _user_record(tx.session, user)
    tx.record("update", "user", user.id, user.name, before=before, after=_user_snapshot(record))
    return record


def _touch(tx: Transaction, user: User) -> None:
    user.version += 1
    user.updated_at = tx.now
    tx.session.flush()


def _refuse_last_admin(session: Session, user: User, *, doing: str) -> None:
    admins = store.list_global_admin_ids(session, admin_role=AccessRole.ADMIN.value)
    if admins == {user.id}:
        raise ConflictError(
            f"cannot {doing} {user.name}: it is the last enabled admin; grant admin to another user first"
        )


def _hash_password(password: str, *, user_name: str) -> str:
    check_password_policy(password, user_name=user_name)
    return _HASHER.hash(password)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except VerificationError:
        return False
    except InvalidHashError as exc:
        raise LedgerError("a stored password hash is unreadable; set a new password for the user") from exc


@cache
def _decoy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def _generate_password() -> str:
    while True:
        password = secrets.token_urlsafe(18)  # 24 characters, 144 random bits
        if FIRST_ADMIN not in password.casefold():
            return password


def _login_hash(user: User | None, now: datetime) -> str | None:
    """The hash to check a login against, or None when this user cannot sign in with a password now."""
    if user is None or user.kind != UserKind.HUMAN or user.disabled or is_locked(user.locked_until, now):
        return None
    return user.password_hash


def _count_failure(ledger: Ledger, name: str, stored: str, now: datetime) -> None:
    with ledger.transaction(SYSTEM_ACTOR) as tx:
        user = store.find_user(tx.session, name, for_update=True)
        if user is None or user.password_hash != stored:
            return  # the password changed meanwhile: this failure no longer counts against it
        user.failed_logins += 1
        if user.failed_logins >= LOCKOUT_THRESHOLD:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT_DURATION
            tx.record(
                "lock",
                "user",
                user.id,
                user.name,
                after={"locked_until": user.locked_until.isoformat(), "failed_logins": LOCKOUT_THRESHOLD},
            )


def _new_token(session: Session) -> tuple[str, str]:
    for _ in range(5):
        prefix = secrets.token_hex(4)
        if store.find_token_by_prefix(session, prefix) is None:
            return prefix, f"ipl_{prefix}_{secrets.token_urlsafe(32)}"
    raise ConflictError("could not pick an unused token prefix; try again")  # 5 collisions in 2**32


def _hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _principal(session: Session, user: User, *, token: ApiToken | None) -> Principal:
    grants = sorted_grants(store.grants_by_user(session, [user.id]).get(user.id, []))
    if token is None:
        return Principal(user.name, UserKind(user.kind), grants)
    read_only = token.scope == TokenScope.READ_ONLY
    return Principal(user.name, UserKind(user.kind), grants, token=token.name, read_only=read_only)


def sorted_grants(rows: list[tuple[str, str | None]]) -> tuple[Grant, ...]:
    """Grants from ``(role, group path or None)`` rows: global ones first, then by group, highest
    role first, without duplicates."""
    grants = {Grant(AccessRole(role), path) for role, path in rows}
    return tuple(sorted(grants, key=lambda item: (item.group is not None, item.group or "", -item.role.rank)))


def _user_record(session: Session, user: User) -> UserRecord:
    return _record_of(user, store.grants_by_user(session, [user.id]).get(user.id, []))


def _record_of(user: User, grants: list[tuple[str, str | None]]) -> UserRecord:
    return UserRecord(
        id=user.id,
        name=user.name,
        kind=UserKind(user.kind),
        has_password=user.password_hash is not None,
        disabled=user.disabled,
        locked_until=user.locked_until,
        grants=sorted_grants(grants),
        created_at=user.created_at,
        updated_at=user.updated_at,
        version=user.version,
    )


def _token_record(token: ApiToken, user: str) -> TokenRecord:
    return TokenRecord(
        id=token.id,
        user=user,
        name=token.name,
        prefix=f"ipl_{token.prefix}",
        scope=TokenScope(token.scope),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


def _user_snapshot(record: UserRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "kind": record.kind.value,
        "has_password": record.has_password,
        "disabled": record.disabled,
        "grants": [str(item) for item in record.grants],
        "version": record.version,
    }


def _grant_snapshot(user: User, given: Grant) -> dict[str, Any]:
    return {"user": user.name, "role": given.role.value, "group": given.group}


def _token_label(record: TokenRecord) -> str:
    return f"{record.prefix} ({record.name} of {record.user})"


def _token_snapshot(record: TokenRecord) -> dict[str, Any]:
    return {
        "user": record.user,
        "name": record.name,
        "prefix": record.prefix,
        "scope": record.scope.value,
        "expires_at": None if record.expires_at is None else record.expires_at.isoformat(),
        "revoked_at": None if record.revoked_at is None else record.revoked_at.isoformat(),
    }
