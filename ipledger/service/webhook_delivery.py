"""Delivering webhooks: sending what is due, signed, with retries, and logging every attempt.

``deliver_due`` claims the due deliveries by moving their next attempt a lease ahead
(``CLAIM_LEASE``), commits, sends them outside any transaction and records each attempt. A
process that dies while sending leaves the claim to expire, and the delivery is sent again: a
receiver may get an event twice and should deduplicate by the ``delivery`` id in the body. A
failed attempt is retried with exponential backoff (``core.webhooks.retry_delay``) until
``MAX_ATTEMPTS``; the test button sends once and never retries.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ipledger.core.errors import NotFoundError
from ipledger.core.webhooks import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventSeverity,
    retry_delay,
    sign,
)
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.webhooks import (
    ACTOR,
    DeliveryRecord,
    delivery_records,
    dispatch_events,
    load_subscription,
    pending_delivery,
    webhook_record,
    webhook_snapshot,
)
from ipledger.store import webhooks as stored
from ipledger.store.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "CLAIM_LEASE",
    "SEND_TIMEOUT",
    "Sender",
    "WebhookDispatcher",
    "deliver_due",
    "post_json",
    "run_webhooks",
    "send_test",
]

_log = logging.getLogger("ipledger.webhooks")
CLAIM_LEASE = timedelta(minutes=5)
SEND_TIMEOUT = 10.0

# (url, body, headers, timeout) -> (HTTP status or None when no answer came, error text)
Sender = Callable[[str, bytes, Mapping[str, str], float], tuple[int | None, str]]


def deliver_due(
    ledger: Ledger, *, now: datetime | None = None, send: Sender | None = None, limit: int = 50
) -> list[DeliveryRecord]:
    """Send the deliveries that are due, one attempt each, and record how each went."""
    moment = now or datetime.now(UTC)
    with ledger.transaction(ACTOR) as tx:
        claimed = []
        for row in stored.list_due_deliveries(tx.session, now=moment, limit=limit):
            subscription = tx.session.get(WebhookSubscription, row.subscription_id)
            assert subscription is not None  # a foreign key keeps it
            row.next_attempt_at = moment + CLAIM_LEASE
            claimed.append((row.id, subscription.url, subscription.secret, row.event, row.attempts + 1))
    results = []
    for delivery_id, url, secret, event, number in claimed:
        code, error = _send(send, url, secret, delivery_id, event, number, moment)
        result = _record_attempt(ledger, delivery_id, number, moment, code, error, retry=True)
        if result is not None:
            results.append(result)
    return results


def send_test(
    ledger: Ledger, webhook_id: int, *, actor: Actor, now: datetime | None = None, send: Sender | None = None
) -> DeliveryRecord:
    """Send a test event to the subscription now, once (no retries), and return how it went."""
    with ledger.transaction(actor) as tx:
        row = load_subscription(tx.session, webhook_id)
        record = webhook_record(tx.session, row)
        event = {
            "id": None,
            "kind": "test",
            "action": "test",
            "object_id": row.id,
            "label": "test event",
            "actor": tx.actor,
            "at": tx.now.isoformat(),
            "severity": EventSeverity.INFO.value,
            "group": record.group,
            "before": None,
            "after": None,
        }
        delivery = pending_delivery(row.id, None, event, tx.now)
        tx.session.add(delivery)
        tx.session.flush()
        delivery_id, url, secret, moment = delivery.id, row.url, row.secret, now or tx.now
        tx.record("test", "webhook", row.id, url[:300], after=webhook_snapshot(record))
    code, error = _send(send, url, secret, delivery_id, event, 1, moment)
    result = _record_attempt(ledger, delivery_id, 1, moment, code, error, retry=False)
    if result is None:
        raise NotFoundError(f"webhook #{webhook_id} was deleted while its test event was sent")
    return result


def run_webhooks(ledger: Ledger, *, now: datetime | None = None, send: Sender | None = None) -> int:
    """One round of the dispatcher: fan out new events, then send what is due; returns how many
    attempts were made."""
    dispatch_events(ledger, now=now)
    return len(deliver_due(ledger, now=now, send=send))


def post_json(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int | None, str]:
    """POST ``body`` to ``url``; the HTTP status (None when no answer came) and what went wrong."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"[:500]
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, (str(getattr(exc, "reason", exc)) or type(exc).__name__)[:500]
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


class WebhookDispatcher:
    """A daemon thread that runs ``run_webhooks`` every ``tick_seconds`` until stopped."""

    def __init__(self, ledger: Ledger, *, tick_seconds: float = 5.0) -> None:
        self._ledger = ledger
        self._tick = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ipledger-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                run_webhooks(self._ledger)
            except Exception:  # the database failed, say: what is queued stays queued; next round
                _log.exception("webhook round failed")
            self._stop.wait(self._tick)


def _send(
    send: Sender | None,
    url: str,
    secret: str,
    delivery_id: int,
    event: dict[str, Any],
    number: int,
    moment: datetime,
) -> tuple[int | None, str]:
    body = json.dumps(
        {"delivery": delivery_id, "attempt": number, "sent_at": moment.isoformat(), "event": event},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ipledger-webhooks",
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(int(moment.timestamp())),
    }
    return (send or post_json)(url, body, headers, SEND_TIMEOUT)


def _record_attempt(
    ledger: Ledger,
    delivery_id: int,
    number: int,
    moment: datetime,
    code: int | None,
    error: str,
    *,
    retry: bool,
) -> DeliveryRecord | None:
    """Record how an attempt went; None when the webhook was deleted while it was sent."""
    delivered = code is not None and 200 <= code < 300
    with ledger.transaction(ACTOR) as tx:
        row = tx.session.get(WebhookDelivery, delivery_id)
        if row is None:
            return None
        row.attempts = number
        if delivered:
            outcome, row.status, row.next_attempt_at = "delivered", "delivered", None
        elif retry and number < MAX_ATTEMPTS:
            outcome, row.next_attempt_at = "retry", moment + retry_delay(number)
        else:
            outcome, row.status, row.next_attempt_at = "failed", "failed", None
        tx.session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                number=number,
                at=moment,
                status_code=code,
                error=error,
                outcome=outcome,
            )
        )
        tx.session.flush()
        return delivery_records(tx.session, [row])[0]
