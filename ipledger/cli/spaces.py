"""`ipledger space`: routing domains (VRFs) inside which every address is unique."""

from __future__ import annotations

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option
from ipledger.cli.render import echo_json, echo_table, text_or_dash
from ipledger.service.spaces import create_space, delete_space, list_spaces

__all__ = ["space"]


@click.group("space")
def space() -> None:
    """Spaces (VRFs): routing domains. Addresses are unique inside a space.

    The space `global` always exists and is the default of every command. Give a cluster whose
    pod network never leaves it (overlay with SNAT) its own space to reuse a CIDR there.
    """


@space.command("create")
@click.argument("name")
@click.option("--description", default="", help="Free text, e.g. the VRF's purpose.")
@pass_state
def create(state: CliState, name: str, description: str) -> None:
    """Create the space NAME.

    \b
    Example:
      ipledger space create cluster-a-overlay --description "cluster-a pod overlay"
    """
    record = create_space(state.ledger(), name, actor=state.actor, description=description)
    click.echo(f"created space {record.name}")


@space.command("list")
@format_option
@pass_state
def list_command(state: CliState, output: str) -> None:
    """List the spaces.

    \b
    Example:
      ipledger space list --format json
    """
    records = list_spaces(state.ledger())
    if output == "json":
        echo_json(records)
        return
    echo_table(
        ["space", "description"],
        [(record.name, text_or_dash(record.description)) for record in records],
        empty="no spaces",
    )


@space.command("delete")
@click.argument("name")
@pass_state
def delete(state: CliState, name: str) -> None:
    """Delete the space NAME; it must hold no prefixes, ranges or addresses.

    \b
    Example:
      ipledger space delete lab
    """
    record = delete_space(state.ledger(), name, actor=state.actor)
    click.echo(f"deleted space {record.name}")
