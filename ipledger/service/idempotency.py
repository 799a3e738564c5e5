"""Idempotent requests: a request retried with the same key gets the first response.

Pipelines retry on timeouts; without this, a retried allocation would allocate twice. A request
first claims its key (one short transaction: the key's unique row), then runs, then stores its
response. A retry finds the stored response and replays it; a retry arriving while the first
run is still going is told to wait; a key reused for a different request is refused. A failed
request releases its key, so that it can be retried. A claim left behind by a server that died
mid-request expires after ``STALE_AFTER``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.service.ledger import Actor, Ledger
from ipledger.store import idempotency

__all__ = ["STALE_AFTER", "Replay", "claim_key", "complete_key", "release_key"]

STALE_AFTER = timedelta(minutes=5)
_MAX_KEY = 255


@dataclass(frozen=True, slots=True)
class Replay:
    """The stored response of the first request made with the key."""

    status: int
    body: str


class _InProgressError(ConflictError):
    retryable = True


def claim_key(ledger: Ledger, key: str, fingerprint: str, *, actor: Actor) -> Replay | None:
    """Claim ``key`` for a request (None: go ahead), or the first response to replay.

    Raises:
        InvalidInputError: the key is empty or too long, or was used for a different request.
        ConflictError: the first request with this key is still running.
    """
    if not key or len(key) > _MAX_KEY:
        raise InvalidInputError(f"Idempotency-Key must be 1 to {_MAX_KEY} characters")
    try:
        return _claim(ledger, key, fingerprint, actor=actor)
    except _InProgressError:
        raise
    except ConflictError as exc:
        # Another request claimed the key between our look and our insert (the key's unique row
        # refused ours): it is the first, still running.
        raise _InProgressError(_running(key)) from exc


def _claim(ledger: Ledger, key: str, fingerprint: str, *, actor: Actor) -> Replay | None:
    with ledger.transaction(actor) as tx:
        found = idempotency.find_key(tx.session, key)
        if found is not None and found.status is None and tx.now - found.created_at > STALE_AFTER:
            idempotency.delete_key(tx.session, key)
            found = None
        if found is None:
            idempotency.insert_claim(tx.session, key, fingerprint, tx.now)
            return None
        if found.fingerprint != fingerprint:
            raise InvalidInputError(f"Idempotency-Key {key!r} was already used for a different request")
        if found.status is None or found.body is None:
            raise _InProgressError(_running(key))
        return Replay(found.status, found.body)


def _running(key: str) -> str:
    return f"the first request with Idempotency-Key {key!r} is still running; retry shortly"


def complete_key(ledger: Ledger, key: str, *, status: int, body: str, actor: Actor) -> None:
    with ledger.transaction(actor) as tx:
        idempotency.store_response(tx.session, key, status, body)


def release_key(ledger: Ledger, key: str, *, actor: Actor) -> None:
    with ledger.transaction(actor) as tx:
        idempotency.delete_key(tx.session, key)
