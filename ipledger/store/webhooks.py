"""Queries of webhooks: subscriptions, the audit entries not yet fanned out, due deliveries and
their attempts. On PostgreSQL the dispatcher's reads lock what they take and skip what another
server process holds (``FOR UPDATE SKIP LOCKED``); SQLite has one writer at a time anyway."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update

from ipledger.store.database import Session
from ipledger.store.locks import takes_row_locks
from ipledger.store.models import Change, WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "delete_subscription",
    "has_undispatched_changes",
    "list_attempts",
    "list_deliveries",
    "list_due_deliveries",
    "list_subscriptions",
    "list_undispatched_changes",
    "mark_all_dispatched",
    "mark_dispatched",
]


def list_subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    return session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()


def list_undispatched_changes(session: Session, *, limit: int) -> Sequence[Change]:
    statement = select(Change).where(Change.dispatched.is_(False)).order_by(Change.id).limit(limit)
    if takes_row_locks(session):
        statement = statement.with_for_update(skip_locked=True)
    return session.scalars(statement).all()


def has_undispatched_changes(session: Session) -> bool:
    return session.scalar(select(Change.id).where(Change.dispatched.is_(False)).limit(1)) is not None


def mark_all_dispatched(session: Session) -> None:
    """Every audit entry dispatched, in one statement (there is no subscription to hand them to)."""
    session.execute(
        update(Change).where(Change.dispatched.is_(False)).values(dispatched=True),
        execution_options={"synchronize_session": False},
    )


def mark_dispatched(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(update(Change).where(Change.id.in_(ids)).values(dispatched=True))


def list_due_deliveries(session: Session, *, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if takes_row_locks(session):
        statement = statement.with_for_update(skip_locked=True)
    return session.scalars(statement).all()


def list_deliveries(session: Session, subscription_id: int, *, limit: int) -> Sequence[WebhookDelivery]:
    return session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()


def list_attempts(session: Session, delivery_ids: Sequence[int]) -> Sequence[WebhookAttempt]:
    if not delivery_ids:
        return []
    return session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    ).all()


def delete_subscription(session: Session, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its deliveries and their attempts."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == subscription.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
    session.delete(subscription)
