"""`ipledger group`: the ownership tree (e.g. kubernetes/prod/eu-west/cluster-a)."""

from __future__ import annotations

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import collect_changes, format_option, tag_options, version_option
from ipledger.cli.render import echo_fields, echo_json, echo_table, text_or_dash, to_json
from ipledger.service.groups import (
    create_group,
    delete_group,
    list_groups,
    move_group,
    rename_group,
    update_group,
)
from ipledger.service.records import GroupRecord

__all__ = ["group"]


@click.group("group")
def group() -> None:
    """Groups: a tree of owners of address space, named by path like a folder.

    Every prefix, range and address can belong to one group, and utilization rolls up the
    tree (see `ipledger report utilization`).

    \b
    Example:
      ipledger group create kubernetes/prod/cluster-a --parents --owner platform-team
    """


@group.command("create")
@click.argument("path")
@click.option("-p", "--parents", is_flag=True, help="Also create missing groups above it.")
@click.option("--description", default="", help="Free text.")
@click.option("--owner", default="", help="Team or person responsible, e.g. platform-team.")
@click.option("--environment", default="", help="E.g. prod, staging, lab.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@pass_state
def create(
    state: CliState,
    path: str,
    parents: bool,
    description: str,
    owner: str,
    environment: str,
    tags: tuple[str, ...],
) -> None:
    """Create the group at PATH (its parent must exist unless --parents is given).

    \b
    Example:
      ipledger group create dc1/servers --parents --owner netops --environment prod
    """
    record = create_group(
        state.ledger(),
        path,
        actor=state.actor,
        parents=parents,
        description=description,
        owner=owner,
        environment=environment,
        tags=tags,
    )
    click.echo(f"created group {record.path}")


@group.command("list")
@click.option("--under", default=None, metavar="PATH", help="Only this group and the groups below it.")
@format_option
@pass_state
def list_command(state: CliState, under: str | None, output: str) -> None:
    """Show the groups as an indented tree.

    \b
    Example:
      ipledger group list --under kubernetes
    """
    records = list_groups(state.ledger(), under=under)
    if output == "json":
        echo_json(records)
        return
    top = min((record.path.count("/") for record in records), default=0)
    echo_table(
        ["group", "owner", "environment", "tags", "description"],
        [_tree_row(record, top) for record in records],
        empty="no groups",
    )


def _tree_row(record: GroupRecord, top: int) -> tuple[str, ...]:
    depth = record.path.count("/") - top
    name = record.path if depth == 0 else "  " * depth + record.name
    return (
        name,
        text_or_dash(record.owner),
        text_or_dash(record.environment),
        text_or_dash(record.tags),
        text_or_dash(record.description),
    )


@group.command("show")
@click.argument("path")
@format_option
@pass_state
def show(state: CliState, path: str, output: str) -> None:
    """Show one group with its fields and the groups directly below it.

    \b
    Example:
      ipledger group show kubernetes/prod
    """
    records = list_groups(state.ledger(), under=path)
    found, below = records[0], records[1:]
    children = [record.path for record in below if record.parent_path == found.path]
    if output == "json":
        echo_json({**to_json(found), "children": children, "descendants": len(below)})
        return
    echo_fields(
        [
            ("group", found.path),
            ("description", text_or_dash(found.description)),
            ("owner", text_or_dash(found.owner)),
            ("environment", text_or_dash(found.environment)),
            ("tags", text_or_dash(found.tags)),
            ("version", found.version),
            ("children", text_or_dash(tuple(children))),
            ("below", f"{len(below)} groups in all"),
        ]
    )


@group.command("update")
@click.argument("path")
@click.option("--description", default=None, help="New free text.")
@click.option("--owner", default=None, help="New owner.")
@click.option("--environment", default=None, help="New environment.")
@tag_options
@version_option
@pass_state
def update(
    state: CliState,
    path: str,
    description: str | None,
    owner: str | None,
    environment: str | None,
    tags: tuple[str, ...],
    clear_tags: bool,
    expected_version: int | None,
) -> None:
    """Change a group's description, owner, environment or tags; other fields stay.

    \b
    Example:
      ipledger group update dc1/servers --owner netops --tag pci --tag critical
    """
    changes = collect_changes(
        {"description": description, "owner": owner, "environment": environment},
        tags=tags,
        clear_tags=clear_tags,
    )
    record = update_group(
        state.ledger(), path, actor=state.actor, changes=changes, expected_version=expected_version
    )
    click.echo(f"updated group {record.path} (version {record.version})")


@group.command("rename")
@click.argument("path")
@click.argument("new_name")
@pass_state
def rename(state: CliState, path: str, new_name: str) -> None:
    """Give the group at PATH the name NEW_NAME; the groups below it follow.

    \b
    Example:
      ipledger group rename dc1/servers compute     # dc1/servers -> dc1/compute
    """
    record = rename_group(state.ledger(), path, actor=state.actor, new_name=new_name)
    click.echo(f"renamed group to {record.path}")


@group.command("move")
@click.argument("path")
@click.argument("new_parent", required=False)
@click.option("--top", is_flag=True, help="Move it to the top of the tree.")
@pass_state
def move(state: CliState, path: str, new_parent: str | None, top: bool) -> None:
    """Move the group at PATH (and everything below it) under NEW_PARENT, or to the top with --top.

    \b
    Examples:
      ipledger group move kubernetes/cluster-a kubernetes/prod
      ipledger group move kubernetes/prod/cluster-a --top
    """
    if (new_parent is None) == (not top):
        raise click.UsageError("give either NEW_PARENT or --top")
    record = move_group(state.ledger(), path, actor=state.actor, new_parent=new_parent)
    click.echo(f"moved group to {record.path}")


@group.command("delete")
@click.argument("path")
@pass_state
def delete(state: CliState, path: str) -> None:
    """Delete an empty group: no groups below it and nothing belonging to it.

    \b
    Example:
      ipledger group delete dc1/old-lab
    """
    record = delete_group(state.ledger(), path, actor=state.actor)
    click.echo(f"deleted group {record.path}")
