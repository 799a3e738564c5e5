"""`ipledger role`: the purposes a prefix or range serves (pod, service, node, ...)."""

from __future__ import annotations

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option
from ipledger.cli.render import echo_json, echo_table, text_or_dash
from ipledger.service.roles import create_role, delete_role, list_roles

__all__ = ["role"]


@click.group("role")
def role() -> None:
    """Roles: what a prefix or range is for (pod, service, node, loadbalancer, ...).

    The defaults are pod, service, node, loadbalancer, infrastructure, expansion-reserve and
    general; add your own with `ipledger role create`.
    """


@role.command("list")
@format_option
@pass_state
def list_command(state: CliState, output: str) -> None:
    """List the roles.

    \b
    Example:
      ipledger role list
    """
    roles = list_roles(state.ledger())
    if output == "json":
        echo_json([{"name": name, "description": description} for name, description in roles])
        return
    echo_table(
        ["role", "description"],
        [(name, text_or_dash(description)) for name, description in roles],
        empty="no roles",
    )


@role.command("create")
@click.argument("name")
@click.option("--description", default="", help="What prefixes of this role are for.")
@pass_state
def create(state: CliState, name: str, description: str) -> None:
    """Create the role NAME (one word, stored in lower case).

    \b
    Example:
      ipledger role create storage --description "iSCSI and NFS networks"
    """
    created = create_role(state.ledger(), name, actor=state.actor, description=description)
    click.echo(f"created role {created}")


@role.command("delete")
@click.argument("name")
@pass_state
def delete(state: CliState, name: str) -> None:
    """Delete the role NAME; no prefix or range may still use it.

    \b
    Example:
      ipledger role delete storage
    """
    deleted = delete_role(state.ledger(), name, actor=state.actor)
    click.echo(f"deleted role {deleted}")
