"""`ipledger prefix`: record, show, list, change and remove CIDRs."""

from __future__ import annotations

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import (
    ADDRESS,
    PREFIX,
    STATUSES,
    collect_changes,
    format_option,
    optional_space_option,
    paging_options,
    space_option,
    tag_options,
    thresholds_from,
    version_option,
)
from ipledger.cli.render import echo_fields, echo_json, echo_table, text_or_dash, usage_text
from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.thresholds import Level
from ipledger.service.prefixes import (
    PrefixFilter,
    create_prefix,
    delete_prefix,
    list_prefixes,
    show_prefix,
    update_prefix,
)
from ipledger.service.records import PrefixRecord

__all__ = ["prefix"]

_LEVELS = [level.value for level in Level]
_HEADERS = ["prefix", "space", "status", "role", "group", "utilization", "description"]


@click.group("prefix")
def prefix() -> None:
    """Prefixes: CIDRs (IPv4 or IPv6) recorded in a space.

    Prefixes nest by containment: 10.0.0.0/16 holds 10.0.4.0/24 without any parent pointer.
    Each has a status, a role, an owning group, and utilization thresholds.
    """


@prefix.command("create")
@click.argument("cidr", type=PREFIX)
@space_option()
@click.option("--status", default="active", show_default=True, help=f"One of {STATUSES}.")
@click.option("--role", default="general", show_default=True, help="See `ipledger role list`.")
@click.option("--group", default=None, metavar="PATH", help="Owning group, e.g. kubernetes/prod.")
@click.option(
    "--managed-by", default="manual", show_default=True, help="Who maintains it: manual or a cluster."
)
@click.option("--description", default="", help="Free text.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--pool", is_flag=True, help="Every address is usable (no network/broadcast address).")
@click.option("--warning", type=float, default=None, help="Warning threshold in percent  [default: 70]")
@click.option("--critical", type=float, default=None, help="Critical threshold in percent  [default: 85]")
@click.option("--emergency", type=float, default=None, help="Emergency threshold in percent  [default: 95]")
@click.option("--unit", type=int, default=None, help="IPv6 only: length of an allocation unit  [default: 64]")
@pass_state
def create(
    state: CliState,
    cidr: IPNetwork,
    space: str,
    status: str,
    role: str,
    group: str | None,
    managed_by: str,
    description: str,
    tags: tuple[str, ...],
    pool: bool,
    warning: float | None,
    critical: float | None,
    emergency: float | None,
    unit: int | None,
) -> None:
    """Record the prefix CIDR. It must be written with no host bits set.

    \b
    Examples:
      ipledger prefix create 10.0.0.0/16 --role infrastructure --description "DC1"
      ipledger prefix create 10.42.0.0/16 --role pod --group kubernetes/prod/cluster-a --warning 60
      ipledger prefix create 2001:db8::/48 --unit 64
    """
    record = create_prefix(
        state.ledger(),
        cidr,
        actor=state.actor,
        space=space,
        status=status,
        role=role,
        group=group,
        managed_by=managed_by,
        description=description,
        tags=tags,
        is_pool=pool,
        thresholds=thresholds_from(warning, critical, emergency),
        unit_prefixlen=unit,
    )
    click.echo(f"created prefix {record.network} in space {record.space} (#{record.id})")


@prefix.command("show")
@click.argument("cidr", type=PREFIX)
@space_option()
@format_option
@pass_state
def show(state: CliState, cidr: IPNetwork, space: str, output: str) -> None:
    """Show a prefix: its fields, the prefixes around it (outermost first), the prefixes directly
    inside it, and how full it is.

    \b
    Example:
      ipledger prefix show 10.42.0.0/16
    """
    detail = show_prefix(state.ledger(), cidr, space=space)
    if output == "json":
        echo_json(detail)
        return
    record = detail.prefix
    echo_fields([*_detail_fields(record), ("ranges", detail.ranges), ("addresses", detail.addresses)])
    for title, items in (("parents (outermost first)", detail.parents), ("children", detail.children)):
        click.echo("")
        click.echo(f"{title}:")
        echo_table(_HEADERS, [_prefix_row(item) for item in items], empty="  none")


def _detail_fields(record: PrefixRecord) -> list[tuple[str, object]]:
    usage = record.usage
    counts = f"{usage.used} of {usage.usable} usable addresses held, {usage.covered} of {usage.size} in child prefixes"
    fields: list[tuple[str, object]] = [
        ("prefix", f"{record.network} (space {record.space}, #{record.id})"),
        ("status", record.status),
        ("role", record.role),
        ("group", text_or_dash(record.group)),
        ("managed by", record.managed_by),
        ("description", text_or_dash(record.description)),
        ("tags", text_or_dash(record.tags)),
        ("pool", "yes" if record.is_pool else "no"),
        ("thresholds", record.thresholds.describe()),
        ("utilization", usage_text(usage, record.level)),
        ("", counts),
    ]
    if record.unit_prefixlen is not None:
        fields.append(
            ("units", f"{usage.units_used} of {usage.units_total} /{record.unit_prefixlen} touched")
        )
    fields.append(("version", record.version))
    return fields


def _prefix_row(record: PrefixRecord) -> tuple[str, ...]:
    """One prefix as a row under ``_HEADERS``."""
    return (
        str(record.network),
        record.space,
        record.status,
        record.role,
        text_or_dash(record.group),
        usage_text(record.usage, record.level),
        text_or_dash(record.description),
    )


@prefix.command("list")
@optional_space_option("Only prefixes of this space (default: all spaces).")
@click.option("--group", default=None, metavar="PATH", help="Only prefixes of this group and those below it.")
@click.option(
    "--no-descendants", is_flag=True, help="With --group: only that group, not the groups below it."
)
@click.option("--role", default=None, help="Only prefixes of this role.")
@click.option("--status", default=None, help=f"Only prefixes of this status ({STATUSES}).")
@click.option("--tag", default=None, help="Only prefixes with this tag.")
@click.option("--family", type=click.Choice(["4", "6"]), default=None, help="Only IPv4 or only IPv6.")
@click.option("--contains", type=ADDRESS, default=None, help="Only prefixes holding this address.")
@click.option("--within", type=PREFIX, default=None, help="Only prefixes inside this CIDR (itself included).")
@click.option(
    "--utilization-gte", type=float, default=None, metavar="PERCENT", help="Only prefixes at least this full."
)
@click.option(
    "--level", type=click.Choice(_LEVELS), default=None, help="Only prefixes at this threshold level."
)
@click.option("--search", default=None, metavar="TEXT", help="Text in the description or managed-by.")
@click.option(
    "--sort",
    type=click.Choice(["prefix", "utilization", "-utilization", "created"]),
    default="prefix",
    show_default=True,
    help="Order: by address, fullest first, emptiest first, or oldest first.",
)
@paging_options
@format_option
@pass_state
def list_command(
    state: CliState,
    space: str | None,
    group: str | None,
    no_descendants: bool,
    role: str | None,
    status: str | None,
    tag: str | None,
    family: str | None,
    contains: IPAddress | None,
    within: IPNetwork | None,
    utilization_gte: float | None,
    level: str | None,
    search: str | None,
    sort: str,
    limit: int | None,
    offset: int,
    output: str,
) -> None:
    """List prefixes, with filters, and say how many match in all.

    \b
    Examples:
      ipledger prefix list --group kubernetes --role pod
      ipledger prefix list --utilization-gte 80 --sort utilization
      ipledger prefix list --contains 10.42.7.19 --format json
    """
    criteria = PrefixFilter(
        space=space,
        group=group,
        include_descendant_groups=not no_descendants,
        role=role,
        status=status,
        tag=tag,
        family=None if family is None else int(family),
        contains=contains,
        within=within,
        utilization_gte=utilization_gte,
        level=level,
        text=search,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    records, total = list_prefixes(state.ledger(), criteria)
    if output == "json":
        echo_json({"total": total, "prefixes": records})
        return
    echo_table(_HEADERS, [_prefix_row(record) for record in records], empty="no prefixes match")
    click.echo(f"{len(records)} shown, {total} matching")


@prefix.command("update")
@click.argument("cidr", type=PREFIX)
@space_option()
@click.option("--status", default=None, help=f"One of {STATUSES}.")
@click.option("--role", default=None, help="See `ipledger role list`.")
@click.option("--group", default=None, metavar="PATH", help="New owning group.")
@click.option("--no-group", is_flag=True, help="Belong to no group.")
@click.option("--managed-by", default=None, help="Who maintains it.")
@click.option("--description", default=None, help="New free text.")
@tag_options
@click.option("--pool/--no-pool", default=None, help="Whether every address is usable.")
@click.option("--warning", type=float, default=None, help="Warning threshold in percent.")
@click.option("--critical", type=float, default=None, help="Critical threshold in percent.")
@click.option("--emergency", type=float, default=None, help="Emergency threshold in percent.")
@click.option("--unit", type=int, default=None, help="IPv6 only: length of an allocation unit.")
@version_option
@pass_state
def update(
    state: CliState,
    cidr: IPNetwork,
    space: str,
    status: str | None,
    role: str | None,
    group: str | None,
    no_group: bool,
    managed_by: str | None,
    description: str | None,
    tags: tuple[str, ...],
    clear_tags: bool,
    pool: bool | None,
    warning: float | None,
    critical: float | None,
    emergency: float | None,
    unit: int | None,
    expected_version: int | None,
) -> None:
    """Change fields of a prefix; the fields not given stay as they are. The CIDR itself cannot
    change: record a new prefix instead.

    The thresholds are replaced as a set: give --warning, --critical and --emergency together.

    \b
    Examples:
      ipledger prefix update 10.42.0.0/16 --status deprecated --description "to be returned"
      ipledger prefix update 10.42.0.0/16 --warning 60 --critical 80 --emergency 90 --version 3
    """
    marks = (warning, critical, emergency)
    if any(mark is not None for mark in marks) and any(mark is None for mark in marks):
        raise click.UsageError("give --warning, --critical and --emergency together")
    changes = collect_changes(
        {
            "status": status,
            "role": role,
            "group": group,
            "managed_by": managed_by,
            "description": description,
            "is_pool": pool,
            "unit_prefixlen": unit,
            "thresholds": None if warning is None else thresholds_from(warning, critical, emergency),
        },
        tags=tags,
        clear_tags=clear_tags,
        cleared=("group",) if no_group else (),
    )
    record = update_prefix(
        state.ledger(),
        cidr,
        actor=state.actor,
        space=space,
        expected_version=expected_version,
        changes=changes,
    )
    click.echo(f"updated prefix {record.network} in space {record.space} (version {record.version})")


@prefix.command("delete")
@click.argument("cidr", type=PREFIX)
@space_option()
@pass_state
def delete(state: CliState, cidr: IPNetwork, space: str) -> None:
    """Remove a prefix from the ledger. What it held (prefixes, ranges, addresses) stays and now
    belongs to the prefix around it.

    \b
    Example:
      ipledger prefix delete 10.42.0.0/16
    """
    record = delete_prefix(state.ledger(), cidr, actor=state.actor, space=space)
    click.echo(f"deleted prefix {record.network} from space {record.space}")
