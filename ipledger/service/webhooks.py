"""Webhooks: subscriptions, the dispatcher that turns audit entries into deliveries, and delivery
with signatures, retries and a log of every attempt.

Nothing queued is lost across a restart because every step is a committed row. The audit log is
the event log: each committed change wrote an entry with ``dispatched`` false, in the same
transaction as the change. ``dispatch_events`` reads those entries, writes one pending delivery
per subscription that wants the event, and marks them dispatched, all in one transaction. A flag
instead of a per-subscription cursor over ids, because on PostgreSQL ids are taken before commit:
a transaction that commits late would have an id below a cursor already moved past it.

``deliver_due`` claims the due deliveries by moving their next attempt a lease ahead
(``CLAIM_LEASE``), commits, sends them outside any transaction and records each attempt. A
process that dies while sending leaves the claim to expire, and the delivery is sent again: a
receiver may get an event twice and should deduplicate by the ``delivery`` id in the body.

Subscriptions are admin business: they send ledger data to any URL. Each one acts for its owner:
events are delivered only while the owner exists, is enabled and may read.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.permissions import Principal, can_administer
from ipledger.core.thresholds import Level
from ipledger.core.webhooks import (
    ADMIN_ONLY_KINDS,
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventSeverity,
    Interest,
    is_wanted,
    retry_delay,
    sign,
)
from ipledger.service.auth import load_principal
from ipledger.service.convert import names
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import load_group
from ipledger.store import auth as stored_auth
from ipledger.store import webhooks as stored
from ipledger.store.database import Session
from ipledger.store.models import Change, User, WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "CLAIM_LEASE",
    "AttemptRecord",
    "DeliveryRecord",
    "Sender",
    "WebhookDispatcher",
    "WebhookRecord",
    "create_webhook",
    "delete_webhook",
    "deliver_due",
    "dispatch_events",
    "list_deliveries",
    "list_webhooks",
    "post_json",
    "run_webhooks",
    "send_test",
]

_log = logging.getLogger("ipledger.webhooks")
ACTOR = "webhooks"
CLAIM_LEASE = timedelta(minutes=5)
SEND_TIMEOUT = 10.0
_KIND = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
_SECRET_MIN = 16

# (url, body, headers, timeout) -> (HTTP status or None when no answer came, error text)
Sender = Callable[[str, bytes, Mapping[str, str], float], tuple[int | None, str]]


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: int
    url: str
    kinds: tuple[str, ...]
    min_severity: str
    group: str | None
    owner: str
    description: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    number: int
    at: datetime
    status_code: int | None
    error: str
    outcome: str  # delivered | retry | failed


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    webhook_id: int
    change_id: int | None
    event: dict[str, Any]
    status: str  # pending | delivered | failed
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: tuple[AttemptRecord, ...]


def create_webhook(
    ledger: Ledger,
    url: str,
    *,
    actor: Actor,
    owner: str,
    kinds: Sequence[str] = (),
    min_severity: str = EventSeverity.INFO.value,
    group: str | None = None,
    description: str = "",
    secret: str | None = None,
) -> tuple[WebhookRecord, str]:
    """Subscribe ``url`` to events; returns the subscription and its signing secret (generated
    unless given; shown to the caller once, never listed).

    Raises:
        InvalidInputError: a URL that is not http(s), an unknown severity, a malformed kind, a
            short secret.
        NotFoundError: an unknown owner or group.
    """
    _check_url(url)
    severity = _severity(min_severity)
    chosen = tuple(sorted(set(kinds)))
    for kind in chosen:
        if not _KIND.match(kind):
            raise InvalidInputError(
                f"event kind {kind!r}: expected a lowercase word like prefix", field="kinds"
            )
    if secret is not None and len(secret) < _SECRET_MIN:
        raise InvalidInputError(f"the secret needs {_SECRET_MIN} characters at least", field="secret")
    key = secret if secret is not None else secrets.token_urlsafe(32)
    with ledger.transaction(actor) as tx:
        user = stored_auth.find_user(tx.session, owner.strip().lower())
        if user is None:
            raise NotFoundError(f"no user {owner!r} to own the webhook")
        group_id = None if group is None else load_group(tx.session, group).id
        row = WebhookSubscription(
            url=url,
            secret=key,
            kinds=list(chosen),
            min_severity=severity.value,
            group_id=group_id,
            owner_id=user.id,
            description=description,
            created_at=tx.now,
        )
        tx.session.add(row)
        tx.session.flush()
        record = _record(tx.session, row)
        tx.record("create", "webhook", row.id, url[:300], after=_snapshot(record))
        return record, key


def list_webhooks(ledger: Ledger, *, actor: Actor) -> list[WebhookRecord]:
    """Every subscription (admins only: their URLs may carry credentials)."""
    _require_admin_read(actor)
    with ledger.reading() as session:
        return [_record(session, row) for row in stored.list_subscriptions(session)]


def delete_webhook(ledger: Ledger, webhook_id: int, *, actor: Actor) -> WebhookRecord:
    """Delete a subscription, its pending deliveries and its delivery log."""
    with ledger.transaction(actor) as tx:
        row = _load(tx.session, webhook_id)
        record = _record(tx.session, row)
        stored.delete_subscription(tx.session, row)
        tx.record("delete", "webhook", webhook_id, record.url[:300], before=_snapshot(record))
        return record


def list_deliveries(
    ledger: Ledger, webhook_id: int, *, actor: Actor, limit: int = 50
) -> list[DeliveryRecord]:
    """The subscription's latest deliveries, newest first, each with every attempt."""
    _require_admin_read(actor)
    with ledger.reading() as session:
        _load(session, webhook_id)
        rows = stored.list_deliveries(session, webhook_id, limit=limit)
        return _delivery_records(session, rows)


def dispatch_events(ledger: Ledger, *, now: datetime | None = None, batch: int = 500) -> int:
    """Turn the audit entries not yet dispatched into pending deliveries; returns how many.

    Writes no audit entry of its own: it changes nothing of the ledger, and an entry would be
    one more event to dispatch, forever.
    """
    moment = now or datetime.now(UTC)
    created = 0
    while True:
        with ledger.transaction(ACTOR) as tx:
            changes = stored.list_undispatched_changes(tx.session, limit=batch)
            if not changes:
                return created
            subscriptions = [
                (row, _interest(tx.session, row)) for row in stored.list_subscriptions(tx.session)
            ]
            readers = _readers(ledger, tx.session, [row for row, _ in subscriptions])
            for change in changes:
                event = event_of(change)
                severity, group = EventSeverity(event["severity"]), event["group"]
                for row, interest in subscriptions:
                    owner = readers.get(row.owner_id)
                    if owner is None or (change.object_kind in ADMIN_ONLY_KINDS and not owner):
                        continue
                    if is_wanted(interest, kind=change.object_kind, severity=severity, group=group):
                        tx.session.add(_pending(row.id, change.id, event, moment))
                        created += 1
            stored.mark_dispatched(tx.session, [change.id for change in changes])


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
        row = _load(tx.session, webhook_id)
        record = _record(tx.session, row)
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
        delivery = _pending(row.id, None, event, tx.now)
        tx.session.add(delivery)
        tx.session.flush()
        delivery_id, url, secret, moment = delivery.id, row.url, row.secret, now or tx.now
        tx.record("test", "webhook", row.id, url[:300], after=_snapshot(record))
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


def event_of(change: Change) -> dict[str, Any]:
    """The event an audit entry makes: what changed, who did it, how much it matters, where."""
    return {
        "id": change.id,
        "kind": change.object_kind,
        "action": change.action,
        "object_id": change.object_id,
        "label": change.object_label,
        "actor": change.actor,
        "at": change.at.isoformat(),
        "severity": _event_severity(change).value,
        "group": _event_group(change),
        "before": change.before,
        "after": change.after,
    }


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
        return _delivery_records(tx.session, [row])[0]


def _pending(
    subscription_id: int, change_id: int | None, event: dict[str, Any], at: datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        subscription_id=subscription_id,
        change_id=change_id,
        event=event,
        status="pending",
        attempts=0,
        created_at=at,
        next_attempt_at=at,
    )


def _event_severity(change: Change) -> EventSeverity:
    """A finding's event has the higher of its levels before and after (a cleared emergency
    still matters to those who asked for emergencies); every other change is info."""
    if change.object_kind != "finding":
        return EventSeverity.INFO
    levels = [
        EventSeverity(snapshot["level"])
        for snapshot in (change.before, change.after)
        if snapshot is not None
        and snapshot.get("level") in {level.value for level in Level if level is not Level.OK}
    ]
    return max(levels, key=lambda level: level.rank, default=EventSeverity.INFO)


def _event_group(change: Change) -> str | None:
    key = "path" if change.object_kind == "group" else "group"
    for snapshot in (change.after, change.before):
        if snapshot is not None and isinstance(snapshot.get(key), str):
            return str(snapshot[key])
    return None


def _readers(ledger: Ledger, session: Session, rows: Sequence[WebhookSubscription]) -> dict[int, bool]:
    """The owners (user ids) that may read now (existing, enabled, with a grant), each with
    whether it is a global admin (who alone may read accounts and webhooks)."""
    allowed = {}
    for owner_id in {row.owner_id for row in rows}:
        user = session.get(User, owner_id)
        principal = None if user is None else load_principal(ledger, user.name)
        if principal is not None and principal.can_read():
            allowed[owner_id] = can_administer(principal.grants)
        else:
            _log.warning(
                "webhooks of user #%s get no events: the user is gone, disabled or has no grant", owner_id
            )
    return allowed


def _interest(session: Session, row: WebhookSubscription) -> Interest:
    return Interest(frozenset(row.kinds), EventSeverity(row.min_severity), names(session).group(row.group_id))


def _require_admin_read(actor: Actor) -> None:
    """Reading subscriptions needs an admin grant everywhere (a read-only token of one will do)."""
    if isinstance(actor, Principal) and not can_administer(actor.grants):
        actor.require_administer()


def _check_url(url: str) -> None:
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or any(char.isspace() for char in url):
        raise InvalidInputError(f"webhook URL {url!r}: expected http:// or https:// and a host", field="url")
    if len(url) > 2000:
        raise InvalidInputError("the webhook URL is longer than 2000 characters", field="url")


def _severity(text: str) -> EventSeverity:
    try:
        return EventSeverity(text)
    except ValueError:
        known = ", ".join(level.value for level in EventSeverity)
        raise InvalidInputError(f"severity {text!r}: expected one of {known}", field="min_severity") from None


def _load(session: Session, webhook_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, webhook_id)
    if row is None:
        raise NotFoundError(f"no webhook #{webhook_id}")
    return row


def _record(session: Session, row: WebhookSubscription) -> WebhookRecord:
    owner = session.get(User, row.owner_id)
    return WebhookRecord(
        row.id,
        row.url,
        tuple(row.kinds),
        row.min_severity,
        names(session).group(row.group_id),
        "?" if owner is None else owner.name,
        row.description,
        row.created_at,
    )


def _snapshot(record: WebhookRecord) -> dict[str, Any]:
    """The audit snapshot: everything but the secret."""
    return {
        "url": record.url,
        "kinds": list(record.kinds),
        "min_severity": record.min_severity,
        "scope": record.group,
        "owner": record.owner,
        "description": record.description,
    }


def _delivery_records(session: Session, rows: Sequence[WebhookDelivery]) -> list[DeliveryRecord]:
    attempts: dict[int, list[AttemptRecord]] = {}
    for item in stored.list_attempts(session, [row.id for row in rows]):
        attempts.setdefault(item.delivery_id, []).append(
            AttemptRecord(item.number, item.at, item.status_code, item.error, item.outcome)
        )
    return [
        DeliveryRecord(
            row.id,
            row.subscription_id,
            row.change_id,
            row.event,
            row.status,
            row.created_at,
            row.next_attempt_at,
            tuple(attempts.get(row.id, [])),
        )
        for row in rows
    ]
