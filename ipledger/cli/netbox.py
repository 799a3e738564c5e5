"""`ipledger import netbox`: copy a NetBox's VRFs, prefixes, ranges and addresses into the ledger,
from its API (`--url`, `--token`) or from export files (`--file`, repeatable).

`ipledger import FILE` (a document of `ipledger export`) stays as it was: the `import` command
is a group whose only subcommand is `netbox`, and any other first argument is that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.errors import ErrorLine
from ipledger.service.netbox_import import NetBoxImport, import_netbox
from ipledger.service.netbox_source import NetBoxObjects, read_netbox_api, read_netbox_file

__all__ = ["ImportGroup", "netbox"]


class ImportGroup(click.Group):
    """`import netbox ...` runs the subcommand; `import FILE` runs the default command on FILE."""

    def __init__(self, *args: Any, default: click.Command, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.commands:
            return super().resolve_command(ctx, args)
        return self.default.name, self.default, args

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "FILE | netbox [OPTIONS]")


@click.command("netbox")
@click.option("--url", help="The NetBox to copy, e.g. https://netbox.example.net")
@click.option("--token", envvar="NETBOX_TOKEN", help="A NetBox API token (or $NETBOX_TOKEN).")
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A NetBox export (JSON or CSV) instead of the API; repeat for several.",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for each page.")
@click.option("--dry-run", is_flag=True, help="Say what would change and write nothing.")
@pass_state
def netbox(
    state: CliState,
    url: str | None,
    token: str | None,
    files: tuple[Path, ...],
    timeout: float,
    dry_run: bool,
) -> None:
    """Copy VRFs, prefixes, IP ranges and IP addresses from NetBox, with their statuses, roles,
    tags, descriptions and tenants (as groups). All or nothing, and safe to run again: what
    the ledger already holds alike is left unchanged.

    \b
    Examples:
      ipledger import netbox --url https://netbox.example.net --token $NETBOX_TOKEN
      ipledger import netbox --file prefixes.csv --file ip-addresses.csv
      ipledger import netbox --file netbox.json --dry-run
    """
    if (url is None) == (not files):
        raise ErrorLine("give either --url (with --token) or --file")
    if url is not None and not token:
        raise ErrorLine("--url needs --token (or $NETBOX_TOKEN)")
    objects = read_netbox_api(url, token or "", timeout=timeout) if url is not None else _read_files(files)
    summary = import_netbox(state.ledger(), objects, actor=state.actor, dry_run=dry_run)
    click.echo(("would import: " if dry_run else "imported: ") + _describe(summary))


def _read_files(files: tuple[Path, ...]) -> NetBoxObjects:
    merged = NetBoxObjects()
    for path in files:
        for kind, items in read_netbox_file(path).by_kind.items():
            merged.by_kind[kind].extend(items)
    return merged


def _describe(summary: NetBoxImport) -> str:
    kinds = (("prefix", "prefixes"), ("range", "ranges"), ("address", "addresses"))
    parts = [
        f"{plural} {summary.created[kind]} created, {summary.updated[kind]} updated, "
        f"{summary.unchanged[kind]} unchanged"
        for kind, plural in kinds
    ]
    return f"{summary.spaces} spaces, {summary.groups} groups, {summary.roles} roles created; " + "; ".join(
        parts
    )
