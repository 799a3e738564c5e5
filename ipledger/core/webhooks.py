"""Webhooks: which events a subscription wants, how a payload is signed, when a failed one is retried.

A payload is signed with HMAC-SHA256 of its raw body under the subscription's secret and sent as
``X-Ipledger-Signature: sha256=<hex>``; the body carries its own ``sent_at``, so a receiver can
refuse old replays after checking the signature. Failed deliveries are retried with exponential
backoff (``RETRY_BASE`` doubled each attempt, at most ``RETRY_CAP``) until ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from ipledger.core.errors import InvalidInputError
from ipledger.core.permissions import covers

__all__ = [
    "ADMIN_ONLY_KINDS",
    "MAX_ATTEMPTS",
    "RETRY_BASE",
    "RETRY_CAP",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "EventSeverity",
    "Interest",
    "is_wanted",
    "retry_delay",
    "sign",
]

SIGNATURE_HEADER = "X-Ipledger-Signature"
TIMESTAMP_HEADER = "X-Ipledger-Timestamp"
MAX_ATTEMPTS = 8
# Events about accounts and webhooks reach only the webhooks of global admins: only they may see
# those objects (a webhook's URL may carry a credential).
ADMIN_ONLY_KINDS = frozenset({"user", "token", "grant", "webhook"})
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)


class EventSeverity(StrEnum):
    """How much an event matters: a change of an object is ``info``; a finding has its level."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return list(EventSeverity).index(self)


@dataclass(frozen=True, slots=True)
class Interest:
    """What a subscription asks for: object kinds (empty: every kind), a least severity, a group
    subtree (None: everywhere)."""

    kinds: Collection[str]
    min_severity: EventSeverity
    group: str | None


def is_wanted(interest: Interest, *, kind: str, severity: EventSeverity, group: str | None) -> bool:
    """Whether an event of ``kind`` and ``severity`` about an object in ``group`` is wanted."""
    if interest.kinds and kind not in interest.kinds:
        return False
    if severity.rank < interest.min_severity.rank:
        return False
    return covers(interest.group, group)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempt: int, *, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_CAP) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1 for the first).

    Raises:
        InvalidInputError: an attempt number below 1.
    """
    if attempt < 1:
        raise InvalidInputError(f"attempt {attempt}: attempts count from 1")
    delay: timedelta = base * (2 ** min(attempt - 1, 30))
    return min(delay, cap)
