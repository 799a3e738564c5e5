"""`ipledger range`: start-end spans inside a prefix (DHCP scopes, load-balancer pools)."""

from __future__ import annotations

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import (
    PREFIX,
    RANGE,
    STATUSES,
    collect_changes,
    format_option,
    optional_space_option,
    paging_options,
    space_option,
    tag_options,
    version_option,
)
from ipledger.cli.render import echo_json, echo_table, text_or_dash
from ipledger.core.addresses import IPNetwork
from ipledger.core.ranges import IPRange
from ipledger.service.ranges import create_range, delete_range, list_ranges, update_range
from ipledger.service.records import RangeRecord

__all__ = ["range_group"]

_HEADERS = ["range", "space", "status", "role", "group", "used", "description"]


@click.group("range")
def range_group() -> None:
    """Ranges: a start-end span of addresses inside one prefix, such as a MetalLB pool or a
    DHCP scope. Both ends are included; both must be of one family.
    """


@range_group.command("create")
@click.argument("span", metavar="START-END", type=RANGE)
@space_option()
@click.option("--status", default="active", show_default=True, help=f"One of {STATUSES}.")
@click.option("--role", default="general", show_default=True, help="See `ipledger role list`.")
@click.option("--group", default=None, metavar="PATH", help="Owning group.")
@click.option("--managed-by", default="manual", show_default=True, help="Who maintains it.")
@click.option("--description", default="", help="Free text.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@pass_state
def create(
    state: CliState,
    span: IPRange,
    space: str,
    status: str,
    role: str,
    group: str | None,
    managed_by: str,
    description: str,
    tags: tuple[str, ...],
) -> None:
    """Record a range. It must lie inside one recorded prefix and overlap no other range.

    \b
    Example:
      ipledger range create 10.0.8.200-10.0.8.250 --role loadbalancer --description "MetalLB pool"
    """
    record = create_range(
        state.ledger(),
        span,
        actor=state.actor,
        space=space,
        status=status,
        role=role,
        group=group,
        managed_by=managed_by,
        description=description,
        tags=tags,
    )
    click.echo(f"created range {record.span} in space {record.space} (#{record.id})")


def _range_row(record: RangeRecord) -> tuple[str, ...]:
    """One range as a row under ``_HEADERS``."""
    return (
        str(record.span),
        record.space,
        record.status,
        record.role,
        text_or_dash(record.group),
        f"{record.used} of {record.span.num_addresses}",
        text_or_dash(record.description),
    )


@range_group.command("list")
@optional_space_option("Only ranges of this space (default: all spaces).")
@click.option("--within", type=PREFIX, default=None, help="Only ranges inside this CIDR.")
@paging_options
@format_option
@pass_state
def list_command(
    state: CliState, space: str | None, within: IPNetwork | None, limit: int | None, offset: int, output: str
) -> None:
    """List ranges in address order.

    \b
    Example:
      ipledger range list --within 10.0.8.0/24
    """
    records = list_ranges(
        state.ledger(),
        space=space,
        within=None if within is None else IPRange.from_network(within),
        limit=limit,
        offset=offset,
    )
    if output == "json":
        echo_json(records)
        return
    echo_table(_HEADERS, [_range_row(record) for record in records], empty="no ranges match")


@range_group.command("update")
@click.argument("span", metavar="START-END", type=RANGE)
@space_option()
@click.option("--status", default=None, help=f"One of {STATUSES}.")
@click.option("--role", default=None, help="See `ipledger role list`.")
@click.option("--group", default=None, metavar="PATH", help="New owning group.")
@click.option("--no-group", is_flag=True, help="Belong to no group.")
@click.option("--managed-by", default=None, help="Who maintains it.")
@click.option("--description", default=None, help="New free text.")
@tag_options
@version_option
@pass_state
def update(
    state: CliState,
    span: IPRange,
    space: str,
    status: str | None,
    role: str | None,
    group: str | None,
    no_group: bool,
    managed_by: str | None,
    description: str | None,
    tags: tuple[str, ...],
    clear_tags: bool,
    expected_version: int | None,
) -> None:
    """Change fields of a range; the fields not given stay as they are.

    \b
    Example:
      ipledger range update 10.0.8.200-10.0.8.250 --status reserved
    """
    changes = collect_changes(
        {
            "status": status,
            "role": role,
            "group": group,
            "managed_by": managed_by,
            "description": description,
        },
        tags=tags,
        clear_tags=clear_tags,
        cleared=("group",) if no_group else (),
    )
    record = update_range(
        state.ledger(),
        span,
        actor=state.actor,
        space=space,
        expected_version=expected_version,
        changes=changes,
    )
    click.echo(f"updated range {record.span} in space {record.space} (version {record.version})")


@range_group.command("delete")
@click.argument("span", metavar="START-END", type=RANGE)
@space_option()
@pass_state
def delete(state: CliState, span: IPRange, space: str) -> None:
    """Remove a range; the addresses in it stay, held by the prefix around it.

    \b
    Example:
      ipledger range delete 10.0.8.200-10.0.8.250
    """
    record = delete_range(state.ledger(), span, actor=state.actor, space=space)
    click.echo(f"deleted range {record.span} from space {record.space}")
