"""`ipledger address`: single IPs with what holds them (node, pod, VM, ...)."""

from __future__ import annotations

from typing import Any

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import (
    ADDRESS,
    HOLDER_KINDS,
    PREFIX,
    STATUSES,
    TIMESTAMP,
    collect_changes,
    format_option,
    holder_options,
    optional_space_option,
    paging_options,
    space_option,
    tag_options,
    version_option,
)
from ipledger.cli.render import echo_fields, echo_json, echo_table, text_or_dash
from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.ranges import IPRange
from ipledger.service.addresses import (
    AddressFields,
    create_address,
    delete_address,
    list_addresses,
    show_address,
    update_address,
)
from ipledger.service.records import AddressRecord

__all__ = ["address", "address_fields"]

_HEADERS = ["address", "space", "status", "holder", "dns", "mac", "source", "last seen", "group"]


@click.group("address")
def address() -> None:
    """Addresses: single IPs with their holder, DNS name, MAC, source and last-seen time.

    To take the next free address of a prefix or range, use `ipledger allocate address`.
    """


@address.command("create")
@click.argument("ip", type=ADDRESS)
@space_option()
@holder_options
@pass_state
def create(state: CliState, /, ip: IPAddress, space: str, **fields: Any) -> None:
    """Record the address IP (one you chose; `allocate address` picks one for you).

    \b
    Example:
      ipledger address create 10.0.0.10 --holder-kind server --holder db-01 --dns db-01.dc1.example.net
    """
    record = create_address(
        state.ledger(), ip, actor=state.actor, space=space, fields=AddressFields(**fields)
    )
    click.echo(f"created address {record.address} in space {record.space} (#{record.id})")


def _address_row(record: AddressRecord) -> tuple[str, ...]:
    """One address as a row under ``_HEADERS``."""
    return (
        str(record.address),
        record.space,
        record.status,
        _holder(record),
        text_or_dash(record.dns_name),
        text_or_dash(record.mac),
        record.source,
        "-" if record.last_seen is None else record.last_seen.isoformat(timespec="seconds"),
        text_or_dash(record.group),
    )


def _holder(record: AddressRecord) -> str:
    return f"{record.holder_kind} {record.holder_name}".rstrip()


def address_fields(record: AddressRecord) -> list[tuple[str, object]]:
    """The fields of an address as label-value pairs; also used by whois."""
    return [
        ("address", f"{record.address} (space {record.space}, #{record.id})"),
        ("status", record.status),
        ("holder", _holder(record)),
        ("dns", text_or_dash(record.dns_name)),
        ("mac", text_or_dash(record.mac)),
        ("source", record.source),
        ("last seen", "-" if record.last_seen is None else record.last_seen.isoformat()),
        ("group", text_or_dash(record.group)),
        ("description", text_or_dash(record.description)),
        ("tags", text_or_dash(record.tags)),
        ("updated", record.updated_at.isoformat(timespec="seconds")),
        ("version", record.version),
    ]


@address.command("show")
@click.argument("ip", type=ADDRESS)
@space_option()
@format_option
@pass_state
def show(state: CliState, ip: IPAddress, space: str, output: str) -> None:
    """Show what is recorded about the address IP. (`ipledger whois` also shows the prefixes
    and range around it, in every space.)

    \b
    Example:
      ipledger address show 10.0.0.10
    """
    found = show_address(state.ledger(), ip, space=space)
    if output == "json":
        echo_json(found)
        return
    echo_fields(address_fields(found))


@address.command("list")
@optional_space_option("Only addresses of this space (default: all spaces).")
@click.option("--within", type=PREFIX, default=None, help="Only addresses inside this CIDR.")
@click.option("--holder", default=None, metavar="TEXT", help="Text in the holder name or DNS name.")
@paging_options
@format_option
@pass_state
def list_command(
    state: CliState,
    space: str | None,
    within: IPNetwork | None,
    holder: str | None,
    limit: int | None,
    offset: int,
    output: str,
) -> None:
    """List addresses in address order.

    \b
    Examples:
      ipledger address list --within 10.0.0.0/24
      ipledger address list --holder web --format json
    """
    records = list_addresses(
        state.ledger(),
        space=space,
        within=None if within is None else IPRange.from_network(within),
        holder=holder,
        limit=limit,
        offset=offset,
    )
    if output == "json":
        echo_json(records)
        return
    echo_table(_HEADERS, [_address_row(record) for record in records], empty="no addresses match")


@address.command("update")
@click.argument("ip", type=ADDRESS)
@space_option()
@click.option("--status", default=None, help=f"One of {STATUSES}.")
@click.option("--holder-kind", default=None, help=f"One of {HOLDER_KINDS}.")
@click.option("--holder", "holder_name", default=None, help="Name of the holder.")
@click.option("--dns", "dns_name", default=None, help="DNS name ('' to clear).")
@click.option("--mac", default=None, help="MAC address ('' to clear).")
@click.option("--source", default=None, help="How it got into the ledger.")
@click.option("--last-seen", type=TIMESTAMP, default=None, help="When it was last seen (UTC if no zone).")
@click.option("--group", default=None, metavar="PATH", help="New owning group.")
@click.option("--no-group", is_flag=True, help="Belong to no group.")
@click.option("--description", default=None, help="New free text.")
@tag_options
@version_option
@pass_state
def update(
    state: CliState,
    /,
    ip: IPAddress,
    space: str,
    no_group: bool,
    tags: tuple[str, ...],
    clear_tags: bool,
    expected_version: int | None,
    **given: Any,
) -> None:
    """Change what is recorded about an address; the fields not given stay as they are.

    \b
    Example:
      ipledger address update 10.0.0.10 --holder db-02 --last-seen 2024-05-01T12:00:00Z
    """
    changes = collect_changes(given, tags=tags, clear_tags=clear_tags, cleared=("group",) if no_group else ())
    record = update_address(
        state.ledger(), ip, actor=state.actor, space=space, expected_version=expected_version, changes=changes
    )
    click.echo(f"updated address {record.address} in space {record.space} (version {record.version})")


@address.command("delete")
@click.argument("ip", type=ADDRESS)
@space_option()
@pass_state
def delete(state: CliState, ip: IPAddress, space: str) -> None:
    """Remove the address IP from the ledger, freeing it for allocation.

    \b
    Example:
      ipledger address delete 10.0.0.10
    """
    record = delete_address(state.ledger(), ip, actor=state.actor, space=space)
    click.echo(f"deleted address {record.address} from space {record.space}")
