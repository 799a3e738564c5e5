"""Who may do what: access roles, grants scoped to group subtrees, and the rules that combine them.

A grant gives a user one access role (viewer < editor < admin) either everywhere (group ``None``)
or on a group and its whole subtree: a grant on ``kubernetes/prod`` covers ``kubernetes/prod/eu``
but not ``kubernetes/production``. The effective role on an object is the highest role among the
grants that cover the object's group; an object without a group is covered by global grants only.
Reading needs any grant at all; writing an object needs editor on its group (on both groups for a
move); spaces, roles, users, tokens and grants need a global admin grant. A read-only API token
never writes, whatever its user's grants. These are pure rules: the service loads the grants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ipledger.core.errors import InvalidInputError, LedgerError

__all__ = [
    "LOCKOUT_DURATION",
    "LOCKOUT_THRESHOLD",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PRIVATE_KINDS",
    "AccessRole",
    "AuthenticationError",
    "Grant",
    "PermissionDeniedError",
    "Principal",
    "TokenScope",
    "UserKind",
    "can_administer",
    "can_read",
    "can_see_change",
    "can_write",
    "check_password_policy",
    "covers",
    "effective_role",
    "is_locked",
]

MIN_PASSWORD_LENGTH = 12
# argon2 pre-hashes long input, but a megabyte "password" is an attack, never a person's choice.
MAX_PASSWORD_LENGTH = 1024
# Failed logins in a row that lock a user, and for how long (then the count starts again).
LOCKOUT_THRESHOLD = 5
LOCKOUT_DURATION = timedelta(minutes=15)


class AuthenticationError(LedgerError):
    """A login or token was refused. The message never says why (no user enumeration)."""


class PermissionDeniedError(LedgerError):
    """The principal is known but its grants (or its token's scope) do not allow the action."""


class AccessRole(StrEnum):
    """What a grant allows, ordered viewer < editor < admin (not alphabetically)."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    # A StrEnum would otherwise compare as text, and "admin" < "viewer" as text. Comparing with
    # plain text raises instead of falling back to that order.
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank_of(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank_of(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank_of(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank_of(other)


_RANKS = {AccessRole.VIEWER: 1, AccessRole.EDITOR: 2, AccessRole.ADMIN: 3}


def _rank_of(other: object) -> int:
    if not isinstance(other, AccessRole):
        raise TypeError(f"an access role compares only with another, not with {other!r}")
    return other.rank


class UserKind(StrEnum):
    """A person (signs in with a password) or a service account (automation; API tokens only)."""

    HUMAN = "human"
    SERVICE = "service"


class TokenScope(StrEnum):
    READ_ONLY = "read-only"
    READ_WRITE = "read-write"


@dataclass(frozen=True, slots=True)
class Grant:
    """An access role on a group's subtree (``group`` is its path), or everywhere (``None``)."""

    role: AccessRole
    group: str | None = None

    def __str__(self) -> str:
        return f"{self.role} {'everywhere' if self.group is None else 'on ' + self.group}"


def covers(grant_group: str | None, group_path: str | None) -> bool:
    """Whether a grant on ``grant_group`` (None: everywhere) reaches an object in ``group_path``.

    A group covers itself and every group below it, compared by whole path segments. An object
    without a group (``group_path`` None) is reached by global grants only.
    """
    if grant_group is None:
        return True
    if group_path is None:
        return False
    return group_path == grant_group or group_path.startswith(grant_group + "/")


def effective_role(grants: Iterable[Grant], group_path: str | None) -> AccessRole | None:
    """The highest role of the grants that cover ``group_path``; None when none does."""
    roles = [grant.role for grant in grants if covers(grant.group, group_path)]
    return max(roles, default=None)


def can_read(grants: Iterable[Grant]) -> bool:
    """Reading needs a grant of any role, anywhere."""
    return any(True for _ in grants)


def can_write(grants: Iterable[Grant], group_path: str | None) -> bool:
    """Writing an object needs editor (or admin) on its group; for a move, ask for both groups."""
    role = effective_role(grants, group_path)
    return role is not None and role >= AccessRole.EDITOR


# Changes to these concern people and their credentials: only global admins see them in the
# audit log, the event stream and webhooks.
PRIVATE_KINDS = frozenset({"user", "token", "grant", "session"})


def can_see_change(grants: Iterable[Grant], object_kind: str) -> bool:
    """Whether the audit entry of a change to an object of ``object_kind`` may be shown."""
    grants = tuple(grants)
    if object_kind in PRIVATE_KINDS:
        return can_administer(grants)
    return can_read(grants)


def can_administer(grants: Iterable[Grant]) -> bool:
    """Spaces, roles, users, tokens and grants need admin everywhere; a group's admin edits only."""
    return any(grant.role is AccessRole.ADMIN and grant.group is None for grant in grants)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a user, signed in with a password (``token`` None) or an API token."""

    name: str
    kind: UserKind
    grants: tuple[Grant, ...]
    token: str | None = None
    read_only: bool = False

    @property
    def actor(self) -> str:
        """The audit log's name: ``alice``, or ``alice (token deploy-bot)``."""
        return self.name if self.token is None else f"{self.name} (token {self.token})"

    def can_read(self) -> bool:
        return can_read(self.grants)

    def can_write(self, group_path: str | None) -> bool:
        return not self.read_only and can_write(self.grants, group_path)

    def can_administer(self) -> bool:
        return not self.read_only and can_administer(self.grants)

    def can_see_change(self, object_kind: str) -> bool:
        """Reading the audit entry of a change (a read-only token of an admin sees them all)."""
        return can_see_change(self.grants, object_kind)

    def require_read(self) -> None:
        """Raises: PermissionDeniedError: no grant at all."""
        if not self.can_read():
            raise PermissionDeniedError(f"{self.actor} has no grant; reading needs viewer or higher")

    def require_write(self, *group_paths: str | None) -> None:
        """Raises: PermissionDeniedError: editor is missing on one of the groups (all of a move's)."""
        for path in group_paths:
            if not self.can_write(path):
                raise PermissionDeniedError(f"{self.actor} may not write in {_where(path)}{self._why()}")

    def require_administer(self) -> None:
        """Raises: PermissionDeniedError: no global admin grant, or a read-only token."""
        if not self.can_administer():
            raise PermissionDeniedError(f"{self.actor} is not an admin everywhere{self._why()}")

    def _why(self) -> str:
        return " (read-only token)" if self.read_only else ""


def _where(group_path: str | None) -> str:
    return "objects without a group" if group_path is None else f"group {group_path}"


def check_password_policy(password: str, *, user_name: str) -> None:
    """Accept a password of 12 to 1024 characters that does not contain the user's name.

    Length is what makes a password hard to guess (NIST SP 800-63B, 5.1.1.2); composition rules
    are deliberately absent. The name check ignores case.

    Raises:
        InvalidInputError: too short, too long, or containing the user name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"password too short: {len(password)} characters, at least {MIN_PASSWORD_LENGTH} needed",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"password too long: {len(password)} characters, at most {MAX_PASSWORD_LENGTH}", field="password"
        )
    if user_name and user_name.casefold() in password.casefold():
        raise InvalidInputError(f"password must not contain the user name {user_name!r}", field="password")


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """Whether a lockout set until ``locked_until`` still holds at ``now`` (it ends at that instant)."""
    return locked_until is not None and now < locked_until
