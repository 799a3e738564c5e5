"""`ipledger observe` (record a scan) and `ipledger report stale`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option, optional_space_option, space_option
from ipledger.cli.render import echo_json, echo_table, text_or_dash
from ipledger.service.sightings import record_scan_file, stale_addresses

__all__ = ["observe", "stale"]


@click.command("observe")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--kind", type=click.Choice(["nmap", "ip-neigh", "csv"]), default=None,
              help="The file's format; by default recognised from its content.")  # fmt: skip
@space_option("Space the addresses were seen in.")
@format_option
@pass_state
def observe(state: CliState, path: Path, kind: str | None, space: str, output: str) -> None:
    """Record addresses seen in use: an nmap XML report (`nmap -sn -oX`), `ip neigh` output
    (text or `ip -j neigh`) or a CSV of address, mac, hostname, seen_at.

    Updates the last-seen time of the address records it saw, and reports addresses in no
    documented prefix and rogue addresses: ones answering in a cluster's pod or service network
    that are no pod or service of that cluster at its last sync. Exits with 1 on a rogue address.

    \b
    Example:
      nmap -sn -oX scan.xml 192.0.2.0/24 && ipledger observe scan.xml
    """
    found = record_scan_file(state.ledger(), path, actor=state.actor, kind=kind, space=space)
    if output == "json":
        echo_json(found)
    else:
        click.echo(f"{found.seen} address(es) seen, {found.updated} record(s) updated")
        echo_table(
            ["severity", "kind", "address", "message"],
            [(item.severity.value, item.kind, item.subject, item.message) for item in found.findings],
            empty="no findings",
        )
    if any(item.severity.value == "error" for item in found.findings):
        click.get_current_context().exit(1)


@click.command("stale")
@click.option("--days", type=click.IntRange(min=0, max=36500), default=30, show_default=True,
              help="Not seen by any scan or sync for this many days.")  # fmt: skip
@optional_space_option("Only this space.")
@format_option
@pass_state
def stale(state: CliState, days: int, space: str | None, output: str) -> None:
    """Address records nobody has seen lately, and load-balancer addresses no service holds."""
    found = stale_addresses(state.ledger(), days=days, now=datetime.now(UTC), space=space)
    if output == "json":
        echo_json(found)
        return
    click.echo(f"not seen since {found.cutoff:%Y-%m-%d %H:%M} UTC:")
    echo_table(
        ["address", "space", "holder", "last seen"],
        [
            (
                item.address,
                item.space,
                text_or_dash(item.holder_name),
                "never" if item.last_seen is None else f"{item.last_seen:%Y-%m-%d %H:%M}",
            )
            for item in found.addresses
        ],
        empty="  none",
    )
    for item in found.unbound:
        click.echo(f"{item.severity.value}: {item.message}")
