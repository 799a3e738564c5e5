"""The exception hierarchy of the ledger, shared by every layer.

    LedgerError
    ├── InvalidInputError (also a ValueError)   malformed or out-of-bounds input
    │   └── FamilyMismatchError                 IPv4 and IPv6 mixed where one family is needed
    ├── ConflictError                           would collide with an existing object (carries it)
    ├── ExhaustedError                          no free address or block of the asked size
    ├── NotFoundError                           the named object does not exist
    └── StaleVersionError                       an update based on an outdated version

Every message names the values involved so that a person can act on it without a traceback.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "ExhaustedError",
    "FamilyMismatchError",
    "InvalidInputError",
    "LedgerError",
    "NotFoundError",
    "StaleVersionError",
]


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    retryable: bool = False


class InvalidInputError(LedgerError, ValueError):
    """Input that cannot be accepted as given; the message says what is wrong and, if known, the fix.

    ``field`` names the input at fault when one is (``role``, ``mac``, ...).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FamilyMismatchError(InvalidInputError):
    """IPv4 and IPv6 values were combined where both must be of one family."""


class ConflictError(LedgerError):
    """The change would collide with an object already in the ledger."""

    def __init__(self, message: str, *, existing: object = None) -> None:
        super().__init__(message)
        self.existing = existing


class ExhaustedError(LedgerError):
    """No free address or block of the requested size is left."""


class NotFoundError(LedgerError):
    """The named object does not exist."""


class StaleVersionError(LedgerError):
    """The object changed since the version the caller based its update on."""

    def __init__(self, message: str, *, current: object = None) -> None:
        super().__init__(message)
        self.current = current
