"""`ipledger log`: the audit log of every change, newest first."""

from __future__ import annotations

from datetime import datetime

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import TIMESTAMP, format_option
from ipledger.cli.render import echo_json, echo_table
from ipledger.service.audit import list_changes

__all__ = ["log"]


@click.command("log")
@click.option(
    "--kind", default=None, help="Only changes of this kind: space, group, role, prefix, range, address."
)
@click.option(
    "--id", "object_id", type=int, default=None, help="Only changes of the object with this number."
)
@click.option("--label", default=None, metavar="TEXT", help="Only changes whose object label contains TEXT.")
@click.option("--actor", default=None, help="Only changes by this actor.")
@click.option("--since", type=TIMESTAMP, default=None, help="Changes at or after this time (UTC if no zone).")
@click.option("--until", type=TIMESTAMP, default=None, help="Changes before this time (UTC if no zone).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Show at most this many."
)
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip this many newest."
)
@format_option
@pass_state
def log(
    state: CliState,
    kind: str | None,
    object_id: int | None,
    label: str | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
    output: str,
) -> None:
    """Show the audit log: who changed what and when, newest first. The JSON output also holds
    each object before and after the change.

    \b
    Examples:
      ipledger log --kind prefix --label 10.42.
      ipledger log --actor alice@cli --since 2024-05-01 --format json
    """
    changes = list_changes(
        state.ledger(),
        object_kind=kind,
        object_id=object_id,
        label=label,
        actor=actor,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    if output == "json":
        echo_json(changes)
        return
    echo_table(
        ["id", "time", "actor", "action", "kind", "object"],
        [
            (
                change.id,
                change.at.isoformat(timespec="seconds"),
                change.actor,
                change.action,
                change.object_kind,
                change.object_label
                if change.object_id is None
                else f"{change.object_label} #{change.object_id}",
            )
            for change in changes
        ],
        empty="no changes match",
    )
