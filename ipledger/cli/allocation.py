"""`ipledger allocate` and `ipledger free`: take the next free address or prefix, see free space."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import (
    PARENT,
    PREFIX,
    STATUSES,
    format_option,
    holder_options,
    paging_options,
    space_option,
)
from ipledger.cli.render import echo_json
from ipledger.core.addresses import IPNetwork
from ipledger.core.allocation import FitPolicy
from ipledger.core.ranges import IPRange
from ipledger.service.addresses import AddressFields
from ipledger.service.allocation import PrefixFields, allocate_addresses, allocate_prefixes, list_free_space

__all__ = ["allocate", "free"]

_POLICIES = [policy.value for policy in FitPolicy]


@click.group("allocate")
def allocate() -> None:
    """Take the next free address or prefix from a parent and record it in one step.

    Two clients allocating from the same parent at once never get the same space. Add
    --preview to see what would be taken without recording anything.
    """


@allocate.command("address")
@click.argument("parent", metavar="CIDR|START-END", type=PARENT)
@space_option()
@click.option("--count", type=int, default=1, show_default=True, help="How many addresses to take.")
@click.option("--preview", is_flag=True, help="Only show what would be taken; record nothing.")
@format_option
@holder_options
@pass_state
def allocate_address(
    state: CliState,
    /,
    parent: IPNetwork | IPRange,
    space: str,
    count: int,
    preview: bool,
    output: str,
    **fields: Any,
) -> None:
    """Take the lowest free usable addresses of a prefix or a range and record them.

    Network, broadcast (IPv4) and subnet-router anycast (IPv6) addresses are never handed out.

    \b
    Examples:
      ipledger allocate address 10.0.0.0/24 --holder-kind vm --holder web-01
      ipledger allocate address 10.0.8.200-10.0.8.250 --count 3 --preview
    """
    records = allocate_addresses(
        state.ledger(),
        parent,
        actor=state.actor,
        space=space,
        count=count,
        fields=AddressFields(**fields),
        preview=preview,
    )
    taken = [str(record.address) for record in records]
    _report(output, preview=preview, parent=parent, space=space, records=records, items=taken, noun="address")


@allocate.command("prefix")
@click.argument("parent", metavar="CIDR", type=PREFIX)
@click.option("--length", "prefixlen", type=int, required=True, help="Length of each new prefix, e.g. 24.")
@space_option()
@click.option("--count", type=int, default=1, show_default=True, help="How many prefixes to take.")
@click.option(
    "--policy",
    type=click.Choice(_POLICIES),
    default=FitPolicy.FIRST_FIT.value,
    show_default=True,
    help="first-fit: lowest place; best-fit: smallest free block that fits (keeps big blocks whole); "
    "last-fit: highest place.",
)
@click.option("--preview", is_flag=True, help="Only show what would be taken; record nothing.")
@click.option("--status", default="active", show_default=True, help=f"One of {STATUSES}.")
@click.option("--role", default="general", show_default=True, help="See `ipledger role list`.")
@click.option("--group", default=None, metavar="PATH", help="Owning group of the new prefixes.")
@click.option("--managed-by", default="manual", show_default=True, help="Who maintains them.")
@click.option("--description", default="", help="Free text.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--pool", "is_pool", is_flag=True, help="Every address of the new prefixes is usable.")
@format_option
@pass_state
def allocate_prefix(
    state: CliState,
    /,
    parent: IPNetwork,
    prefixlen: int,
    space: str,
    count: int,
    policy: str,
    preview: bool,
    output: str,
    **fields: Any,
) -> None:
    """Carve the next free aligned /LENGTH blocks out of a prefix and record them as prefixes.

    Only free space is taken: never a block holding a prefix, range or address.

    \b
    Examples:
      ipledger allocate prefix 10.0.0.0/16 --length 24 --role node --group dc1/servers
      ipledger allocate prefix 10.64.0.0/12 --length 16 --count 2 --policy best-fit --preview
    """
    records = allocate_prefixes(
        state.ledger(),
        parent,
        actor=state.actor,
        prefixlen=prefixlen,
        space=space,
        count=count,
        policy=FitPolicy(policy),
        fields=PrefixFields(**fields),
        preview=preview,
    )
    taken = [str(record.network) for record in records]
    _report(output, preview=preview, parent=parent, space=space, records=records, items=taken, noun="prefix")


def _report(
    output: str,
    *,
    preview: bool,
    parent: IPNetwork | IPRange,
    space: str,
    records: Sequence[object],
    items: list[str],
    noun: str,
) -> None:
    plural = {"address": "addresses", "prefix": "prefixes"}[noun]
    if output == "json":
        echo_json({"preview": preview, "space": space, "parent": str(parent), plural: list(records)})
        return
    what = f"{len(items)} {noun if len(items) == 1 else plural} from {parent} (space {space})"
    click.echo(f"preview, nothing recorded: would allocate {what}:" if preview else f"allocated {what}:")
    for item in items:
        click.echo(item)


@click.command("free")
@click.argument("parent", metavar="CIDR|START-END", type=PARENT)
@space_option()
@paging_options
@format_option
@pass_state
def free(
    state: CliState, parent: IPNetwork | IPRange, space: str, limit: int | None, offset: int, output: str
) -> None:
    """Show the free space of a recorded prefix or range: the largest CIDR blocks that nothing
    takes, lowest first, and how many addresses are free.

    \b
    Example:
      ipledger free 10.0.0.0/16 --limit 20
    """
    found = list_free_space(state.ledger(), parent, space=space, limit=limit, offset=offset)
    if output == "json":
        echo_json(found)
        return
    blocks = "block" if found.total_blocks == 1 else "blocks"
    click.echo(
        f"free in {found.parent} (space {space}): {found.free_addresses} addresses in {found.total_blocks} {blocks}"
    )
    for block in found.blocks:
        click.echo(str(block))
    if len(found.blocks) < found.total_blocks:
        click.echo(f"showing {len(found.blocks)} of {found.total_blocks} blocks from number {offset + 1}")
