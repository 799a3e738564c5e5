"""Webhooks: subscriptions, their delivery log, and the dispatcher that turns audit entries into
deliveries.

Nothing queued is lost across a restart because every step is a committed row. The audit log is
the event log: each committed change wrote an entry with ``dispatched`` false, in the same
transaction as the change. ``dispatch_events`` reads those entries, writes one pending delivery
per subscription that wants the event, and marks them dispatched, all in one transaction. A flag
instead of a per-subscription cursor over ids, because on PostgreSQL ids are taken before commit:
a transaction that commits late would have an id below a cursor already moved past it.

Sending them is ``service.webhook_delivery``'s job.

Subscriptions are admin business: they send ledger data to any URL. Each one acts for its owner:
events are delivered only while the owner exists, is enabled and may read.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.permissions import Principal, can_administer
from ipledger.core.thresholds import Level
from ipledger.core.webhooks import (
    ADMIN_ONLY_KINDS,
    EventSeverity,
    Interest,
    is_wanted,
)
from ipledger.service.auth import load_principal
from ipledger.service.convert import names
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import load_group
from ipledger.store import auth as stored_auth
from ipledger.store import webhooks as stored
from ipledger.store.database import Session
from ipledger.store.locks import lock_audit_log
from ipledger.store.models import Change, User, WebhookDelivery, WebhookSubscription

__all__ = [
    "ACTOR",
    "AttemptRecord",
    "DeliveryRecord",
    "WebhookRecord",
    "create_webhook",
    "delete_webhook",
    "delivery_records",
    "dispatch_events",
    "event_of",
    "list_deliveries",
    "list_webhooks",
    "load_subscription",
    "pending_delivery",
    "webhook_record",
    "webhook_snapshot",
]

_log = logging.getLogger("ipledger.webhooks")
ACTOR = "webhooks"
_KIND = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
_SECRET_MIN = 16


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
        record = webhook_record(tx.session, row)
        tx.record("create", "webhook", row.id, url[:300], after=webhook_snapshot(record))
        return record, key


def list_webhooks(ledger: Ledger, *, actor: Actor) -> list[WebhookRecord]:
    """Every subscription (admins only: their URLs may carry credentials)."""
    _require_admin_read(actor)
    with ledger.reading() as session:
        return [webhook_record(session, row) for row in stored.list_subscriptions(session)]


def delete_webhook(ledger: Ledger, webhook_id: int, *, actor: Actor) -> WebhookRecord:
    """Delete a subscription, its pending deliveries and its delivery log."""
    with ledger.transaction(actor) as tx:
        row = load_subscription(tx.session, webhook_id)
        record = webhook_record(tx.session, row)
        stored.delete_subscription(tx.session, row)
        tx.record("delete", "webhook", webhook_id, record.url[:300], before=webhook_snapshot(record))
        return record


def list_deliveries(
    ledger: Ledger, webhook_id: int, *, actor: Actor, limit: int = 50
) -> list[DeliveryRecord]:
    """The subscription's latest deliveries, newest first, each with every attempt."""
    _require_admin_read(actor)
    with ledger.reading() as session:
        load_subscription(session, webhook_id)
        rows = stored.list_deliveries(session, webhook_id, limit=limit)
        return delivery_records(session, rows)


def dispatch_events(ledger: Ledger, *, now: datetime | None = None, batch: int = 500) -> int:
    """Turn the audit entries not yet dispatched into pending deliveries; returns how many.

    Writes no audit entry of its own: it changes nothing of the ledger, and an entry would be
    one more event to dispatch, forever.
    """
    moment = now or datetime.now(UTC)
    created = 0
    # Most rounds find nothing new: they should not take the write lock (SQLite has one).
    with ledger.reading() as session:
        if not stored.has_undispatched_changes(session):
            return 0
    while True:
        with ledger.transaction(ACTOR) as tx:
            if not stored.list_subscriptions(tx.session):
                # Nobody to tell: one statement, not an object per entry (a bulk import of
                # 100,000 addresses made as many). The audit lock keeps a subscription and the
                # first change it should hear of from slipping in between the check and this.
                lock_audit_log(tx.session)
                if not stored.list_subscriptions(tx.session):
                    stored.mark_all_dispatched(tx.session)
                    return created
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
                        tx.session.add(pending_delivery(row.id, change.id, event, moment))
                        created += 1
            stored.mark_dispatched(tx.session, [change.id for change in changes])


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


def pending_delivery(
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


def load_subscription(session: Session, webhook_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, webhook_id)
    if row is None:
        raise NotFoundError(f"no webhook #{webhook_id}")
    return row


def webhook_record(session: Session, row: WebhookSubscription) -> WebhookRecord:
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


def webhook_snapshot(record: WebhookRecord) -> dict[str, Any]:
    """The audit snapshot: everything but the secret."""
    return {
        "url": record.url,
        "kinds": list(record.kinds),
        "min_severity": record.min_severity,
        "scope": record.group,
        "owner": record.owner,
        "description": record.description,
    }


def delivery_records(session: Session, rows: Sequence[WebhookDelivery]) -> list[DeliveryRecord]:
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
