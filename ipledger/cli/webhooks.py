"""`ipledger webhook`: subscriptions to events, their delivery log, and a test delivery."""

from __future__ import annotations

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option
from ipledger.cli.render import echo_fields, echo_json, echo_table, text_or_dash
from ipledger.service.webhook_delivery import send_test
from ipledger.service.webhooks import (
    DeliveryRecord,
    create_webhook,
    delete_webhook,
    list_deliveries,
    list_webhooks,
)

__all__ = ["webhook"]


@click.group("webhook")
def webhook() -> None:
    """Events POSTed as signed JSON to your automation (admins only).

    Every change recorded in the audit log is an event; a change of a threshold finding's level
    is one too (kind finding, severity its level). The server (`ipledger serve`) delivers them,
    retrying with backoff; see the README for the payload and how to verify its signature.
    """


@webhook.command("create")
@click.argument("url")
@click.option(
    "--owner", required=True, help="The user the webhook acts for: it gets only what that user may read."
)
@click.option(
    "--kind", "kinds", multiple=True, help="Only events of this object kind (prefix, finding, ...); repeat."
)
@click.option(
    "--min-severity",
    type=click.Choice(["info", "warning", "critical", "emergency"]),
    default="info",
    show_default=True,
    help="Only events at least this severe (changes are info; findings have their level).",
)
@click.option("--group", default=None, help="Only events of objects in this group and below.")
@click.option("--description", default="")
@click.option(
    "--secret", default=None, help="The signing secret (16 characters or more); generated if left out."
)
@pass_state
def create(
    state: CliState,
    url: str,
    owner: str,
    kinds: tuple[str, ...],
    min_severity: str,
    group: str | None,
    description: str,
    secret: str | None,
) -> None:
    """Subscribe URL to events; prints the signing secret once.

    \b
    Example:
      ipledger webhook create https://hooks.example.net/ipam --owner alertbot \\
          --kind finding --min-severity critical --group Kubernetes/prod
    """
    record, key = create_webhook(
        state.ledger(),
        url,
        actor=state.actor,
        owner=owner,
        kinds=kinds,
        min_severity=min_severity,
        group=group,
        description=description,
        secret=secret,
    )
    click.echo(f"created webhook #{record.id} for {record.url}")
    click.echo(f"signing secret (shown only now): {key}")


@webhook.command("list")
@format_option
@pass_state
def list_command(state: CliState, output: str) -> None:
    """Every webhook with what it subscribes to."""
    found = list_webhooks(state.ledger(), actor=state.actor)
    if output == "json":
        echo_json(found)
        return
    echo_table(
        ["id", "url", "kinds", "min severity", "group", "owner"],
        [
            (
                item.id,
                item.url,
                text_or_dash(item.kinds) if item.kinds else "all",
                item.min_severity,
                text_or_dash(item.group),
                item.owner,
            )
            for item in found
        ],
        empty="no webhooks",
    )


@webhook.command("delete")
@click.argument("webhook_id", type=int)
@pass_state
def delete(state: CliState, webhook_id: int) -> None:
    """Delete a webhook with its pending deliveries and delivery log."""
    record = delete_webhook(state.ledger(), webhook_id, actor=state.actor)
    click.echo(f"deleted webhook #{record.id} ({record.url})")


@webhook.command("test")
@click.argument("webhook_id", type=int)
@pass_state
def test(state: CliState, webhook_id: int) -> None:
    """Send a test event now, once, and show how the receiver answered. Exits 1 if it failed."""
    result = send_test(state.ledger(), webhook_id, actor=state.actor)
    _echo_delivery(result)
    if result.status != "delivered":
        raise SystemExit(1)


@webhook.command("deliveries")
@click.argument("webhook_id", type=int)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@format_option
@pass_state
def deliveries(state: CliState, webhook_id: int, limit: int, output: str) -> None:
    """The latest deliveries, newest first, with every attempt."""
    found = list_deliveries(state.ledger(), webhook_id, actor=state.actor, limit=limit)
    if output == "json":
        echo_json(found)
        return
    echo_table(
        ["delivery", "event", "status", "attempts", "last answer", "next attempt"],
        [
            (
                item.id,
                f"{item.event.get('action')} {item.event.get('kind')} {item.event.get('label')}",
                item.status,
                len(item.attempts),
                _answer(item),
                "-" if item.next_attempt_at is None else f"{item.next_attempt_at:%Y-%m-%d %H:%M:%S}",
            )
            for item in found
        ],
        empty="no deliveries yet",
    )


def _answer(item: DeliveryRecord) -> str:
    if not item.attempts:
        return "-"
    last = item.attempts[-1]
    return last.error or f"HTTP {last.status_code}"


def _echo_delivery(item: DeliveryRecord) -> None:
    echo_fields(
        [
            ("delivery", item.id),
            ("status", item.status),
            ("answer", _answer(item)),
        ]
    )
