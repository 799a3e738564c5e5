"""The root command: global options, expected-error handling, and the command groups.

Every command parses its arguments, calls one service function and renders the result. An
expected error (any ``LedgerError``, or a usage error) ends the command with one ``error:``
line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import click

from ipledger.cli.addresses import address
from ipledger.cli.allocation import allocate, free
from ipledger.cli.audit import log
from ipledger.cli.checks import check
from ipledger.cli.cluster_sync import register as register_sync
from ipledger.cli.clusters import cluster
from ipledger.cli.config_check import check_config_command
from ipledger.cli.context import CliState, default_actor, pass_state
from ipledger.cli.errors import as_error_line
from ipledger.cli.groups import group
from ipledger.cli.monitoring import findings, forecast, history, monitor
from ipledger.cli.netbox import ImportGroup, netbox
from ipledger.cli.plans import plan
from ipledger.cli.prefixes import prefix
from ipledger.cli.ranges import range_group
from ipledger.cli.reports import report, whois
from ipledger.cli.roles import role
from ipledger.cli.serve import serve
from ipledger.cli.sightings import observe, stale
from ipledger.cli.spaces import space
from ipledger.cli.transfer import export, import_csv_file, import_document
from ipledger.cli.users import token, user
from ipledger.cli.webhooks import webhook
from ipledger.core.errors import LedgerError

__all__ = ["main"]


class LedgerGroup(click.Group):
    """The root group: turns every expected error of the invocation into one ``error:`` line."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except (click.ClickException, LedgerError) as exc:
            raise as_error_line(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except (click.ClickException, LedgerError) as exc:
            raise as_error_line(exc) from exc


@click.group("ipledger", cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database",
    envvar="IPLEDGER_DATABASE",
    default=None,
    metavar="URL|PATH",
    help=(
        "The ledger database: a URL (sqlite:///path/to/file.db, postgresql://user@host/db) or the "
        "path of a SQLite file. Default: ipledger.db in $XDG_DATA_HOME/ipledger "
        "(~/.local/share/ipledger). Env: IPLEDGER_DATABASE."
    ),
)
@click.option(
    "--actor",
    envvar="IPLEDGER_ACTOR",
    default=default_actor,
    help="Who is acting, as recorded in the audit log. Default: <login user>@cli. Env: IPLEDGER_ACTOR.",
)
@click.pass_context
def main(ctx: click.Context, database: str | None, actor: str) -> None:
    """ipledger: the IP address ledger for data centres, clouds and Kubernetes clusters.

    It records which prefixes, ranges and addresses exist in each space (VRF), who owns them
    (groups), how full each prefix is, and hands out the next free address or subnet.

    \b
    Quick start:
      ipledger init
      ipledger prefix create 10.0.0.0/16 --description "DC1 servers"
      ipledger allocate prefix 10.0.0.0/16 --length 24 --role node
      ipledger whois 10.0.0.5
    """
    state = CliState(database=database, actor=actor)
    ctx.obj = state
    ctx.call_on_close(state.close)


@main.command("init")
@pass_state
def init(state: CliState) -> None:
    """Create the ledger database, or upgrade its schema to this version of ipledger.

    Safe to run again: an upgrade never loses data. Prints where the ledger is.

    \b
    Example:
      ipledger --database /srv/ipam/ledger.db init
    """
    state.ledger()
    click.echo(f"ledger ready: {state.location()}")


_COMMANDS: Sequence[click.Command] = (
    space,
    group,
    role,
    prefix,
    range_group,
    address,
    allocate,
    free,
    cluster,
    plan,
    whois,
    report,
    check,
    check_config_command,
    observe,
    log,
    export,
    import_csv_file,
    serve,
    user,
    token,
    findings,
    monitor,
    webhook,
)
for _command in _COMMANDS:
    main.add_command(_command)
# `ipledger import FILE` loads an export; `ipledger import netbox ...` copies a NetBox.
main.add_command(
    ImportGroup(
        "import",
        default=import_document,
        help=inspect.cleandoc(import_document.help or "")
        + "\n\n`ipledger import netbox` copies a NetBox instead (see its --help).",
        commands=[netbox],
    )
)
register_sync(cluster)
report.add_command(stale)
report.add_command(history)
report.add_command(forecast)
