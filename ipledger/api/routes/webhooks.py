"""Webhook subscriptions, their delivery log and the test button (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ipledger.api.deps import ActorDep, LedgerDep
from ipledger.api.monitoring_schemas import DeliveryRead, WebhookCreate, WebhookCreated, WebhookRead
from ipledger.service import webhook_delivery, webhooks

router = APIRouter(tags=["webhooks"])


@router.get("/webhooks", response_model=list[WebhookRead], summary="List webhooks")
def list_webhooks(ledger: LedgerDep, actor: ActorDep) -> list[WebhookRead]:
    return [WebhookRead.of(item) for item in webhooks.list_webhooks(ledger, actor=actor)]


@router.post("/webhooks", status_code=201, response_model=WebhookCreated, summary="Subscribe a webhook")
def create_webhook(body: WebhookCreate, ledger: LedgerDep, actor: ActorDep) -> WebhookCreated:
    """Events of the chosen kinds, severity and group are POSTed to ``url`` as JSON, signed in
    ``X-Ipledger-Signature: sha256=<hex HMAC-SHA256 of the body>``; the webhook acts for the
    admin who created it. The secret is in this answer only."""
    record, secret = webhooks.create_webhook(
        ledger,
        body.url,
        actor=actor,
        owner=actor.name,
        kinds=body.kinds,
        min_severity=body.min_severity,
        group=body.group,
        description=body.description,
        secret=body.secret,
    )
    return WebhookCreated(**WebhookRead.of(record).model_dump(), secret=secret)


@router.delete("/webhooks/{webhook_id}", response_model=WebhookRead, summary="Delete a webhook")
def delete_webhook(webhook_id: int, ledger: LedgerDep, actor: ActorDep) -> WebhookRead:
    """The subscription, its pending deliveries and its delivery log."""
    return WebhookRead.of(webhooks.delete_webhook(ledger, webhook_id, actor=actor))


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryRead], summary="Delivery log")
def deliveries(
    webhook_id: int, ledger: LedgerDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> list[DeliveryRead]:
    """The latest deliveries, newest first, each with every attempt and its answer."""
    return [
        DeliveryRead.of(item)
        for item in webhooks.list_deliveries(ledger, webhook_id, actor=actor, limit=limit)
    ]


@router.post("/webhooks/{webhook_id}/test", response_model=DeliveryRead, summary="Send a test event")
def test_webhook(webhook_id: int, ledger: LedgerDep, actor: ActorDep) -> DeliveryRead:
    """Send a test event now, once, and answer with how the receiver took it."""
    return DeliveryRead.of(webhook_delivery.send_test(ledger, webhook_id, actor=actor))
