"""`ipledger plan`: review, apply or discard saved plans."""

from __future__ import annotations

from typing import Any

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.render import echo_fields, echo_json, echo_table, text_or_dash
from ipledger.service.plans import apply_plan, discard_plan, list_plans, show_plan
from ipledger.service.records import PlanRecord

__all__ = ["echo_plan", "plan"]


@click.group("plan")
def plan() -> None:
    """Plans: proposed changes (from `cluster plan`, `cluster grow`, `cluster decommission`),
    saved for review and then applied in one transaction or discarded.

    \b
    Typical flow:
      ipledger cluster plan prod-eu-2 --nodes 100 --pod-pool 10.0.0.0/8 ...
      ipledger plan show 7
      ipledger plan apply 7
    """


@plan.command("show")
@click.argument("plan_id", metavar="ID", type=int)
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_state
def show(state: CliState, plan_id: int, output: str) -> None:
    """A plan: its changes, checks and capacity working."""
    echo_plan(show_plan(state.ledger(), plan_id), output)


@plan.command("list")
@click.option("--status", type=click.Choice(["proposed", "applied", "discarded"]), default=None)
@click.option("--cluster", default=None, help="Only the plans of this cluster.")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_state
def list_command(state: CliState, status: str | None, cluster: str | None, output: str) -> None:
    """The newest plans first."""
    plans = list_plans(state.ledger(), status=status, cluster=cluster)
    if output == "json":
        echo_json(plans)
        return
    echo_table(
        ["id", "status", "kind", "cluster", "created", "by", "summary"],
        [
            (
                item.id,
                item.status,
                item.kind,
                item.cluster,
                f"{item.created_at:%Y-%m-%d %H:%M}",
                item.created_by,
                item.summary,
            )
            for item in plans
        ],
        empty="no plans",
    )


@plan.command("apply")
@click.argument("plan_id", metavar="ID", type=int)
@pass_state
def apply(state: CliState, plan_id: int) -> None:
    """Carry out a proposed plan: all of it in one transaction, or nothing.

    The plan is checked again first; if the ledger changed so that a change no longer fits
    (a planned block is not free any more), nothing is applied and the error says why.
    """
    applied = apply_plan(state.ledger(), plan_id, actor=state.actor)
    for line in applied.done:
        click.echo(line)
    click.echo(f"applied plan {plan_id}: {applied.plan.summary}")


@plan.command("discard")
@click.argument("plan_id", metavar="ID", type=int)
@pass_state
def discard(state: CliState, plan_id: int) -> None:
    """Set a proposed plan aside (it stays readable, but can no longer be applied)."""
    discard_plan(state.ledger(), plan_id, actor=state.actor)
    click.echo(f"discarded plan {plan_id}")


def echo_plan(record: PlanRecord, output: str) -> None:
    if output == "json":
        echo_json(record)
        return
    decided = (
        "" if record.decided_at is None else f" by {record.decided_by} at {record.decided_at:%Y-%m-%d %H:%M}"
    )
    echo_fields(
        [
            ("plan", f"{record.id} ({record.status}{decided})"),
            ("kind", record.kind),
            ("cluster", record.cluster),
            ("summary", record.summary),
            ("created", f"{record.created_at:%Y-%m-%d %H:%M} UTC by {record.created_by}"),
        ]
    )
    body = record.body
    notes = body.get("inputs", {}).get("notes", [])
    if notes:
        click.echo("\nInputs:")
        for note in notes:
            click.echo(f"  {note}")
    click.echo("\nProposed changes:")
    echo_table(
        ["action", "what", "role", "status", "where"],
        [_change_row(change) for change in body["changes"]],
        empty="  none",
    )
    click.echo("\nChecks:")
    echo_table(
        ["result", "check", "detail"],
        [(_result(check), check["check"], check["detail"]) for check in body.get("checks", [])],
        empty="  none",
    )
    for family, worked in body.get("capacity", {}).items():
        click.echo(f"\nCapacity ({family}):")
        echo_table(
            ["figure", "value", "working", "source"],
            [
                (figure["name"], f"{figure['value']:,}", figure["working"], figure["source"])
                for figure in worked["figures"]
            ],
            empty="  none",
        )
    if record.status == "proposed":
        click.echo(f"\nApply with `ipledger plan apply {record.id}`, or `ipledger plan discard {record.id}`.")


def _change_row(change: dict[str, Any]) -> tuple[str, ...]:
    kind = change["kind"]
    if kind == "cluster":
        what = f"cluster {change['name']}"
    elif kind == "addresses":
        what = f"{change['count']} address(es) in {change['within']}"
    elif kind == "range":
        what = f"range {change['range']}"
    else:
        what = change["prefix"] + (f" -> {change['to']}" if "to" in change else "")
    status = change.get("status") or change.get("changes", {}).get("status")
    where = change.get("pool") and f"in pool {change['pool']}"
    return (
        change["action"],
        what,
        text_or_dash(change.get("role")),
        text_or_dash(status),
        text_or_dash(where),
    )


def _result(check: dict[str, Any]) -> str:
    if check["ok"]:
        return "ok" if check["severity"] == "error" else check["severity"]
    return "FAILED"
