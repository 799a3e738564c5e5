"""`ipledger whois` and `ipledger report`: who holds an address, and how full everything is."""

from __future__ import annotations

import click

from ipledger.cli.addresses import address_fields
from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import ADDRESS, format_option, optional_space_option
from ipledger.cli.render import echo_fields, echo_json, echo_table, text_or_dash, usage_text
from ipledger.core.addresses import IPAddress
from ipledger.service.reports import WhoisAnswer, utilization_report
from ipledger.service.reports import whois as whois_service

__all__ = ["report", "whois"]


@click.command("whois")
@click.argument("ip", type=ADDRESS)
@optional_space_option("Only this space (default: every space that knows the address).")
@format_option
@pass_state
def whois(state: CliState, ip: IPAddress, space: str | None, output: str) -> None:
    """Who holds an address: per space, every prefix containing it (outermost first) with its
    group and role, the range it falls in, and the address record itself.

    \b
    Example:
      ipledger whois 10.42.7.19
    """
    answers = whois_service(state.ledger(), ip, space=space)
    if output == "json":
        echo_json(answers)
        return
    if not answers:
        click.echo(f"{ip}: the ledger has no prefix, range or address record holding it")
    for index, answer in enumerate(answers):
        if index:
            click.echo("")
        _echo_answer(answer)


def _echo_answer(answer: WhoisAnswer) -> None:
    click.echo(f"{answer.address} in space {answer.space}")
    rows = [
        (
            "prefix",
            str(item.network),
            item.role,
            text_or_dash(item.group),
            item.status,
            text_or_dash(item.description),
        )
        for item in answer.prefixes
    ]
    if answer.range is not None:
        item = answer.range
        rows.append(
            (
                "range",
                str(item.span),
                item.role,
                text_or_dash(item.group),
                item.status,
                text_or_dash(item.description),
            )
        )
    echo_table(["", "what", "role", "group", "status", "description"], rows, empty="  in no prefix or range")
    for held in answer.held_by:
        synced = "" if held.synced_at is None else f", last sync {held.synced_at:%Y-%m-%d %H:%M} UTC"
        where = f" on node {held.node}" if held.node and held.node != held.holder else ""
        click.echo(
            f"held by {held.kind} {held.holder}{where} in cluster {held.cluster} "
            f"since {held.since:%Y-%m-%d %H:%M} UTC{synced}"
        )
    for stranded in answer.stranded_in:
        click.echo(
            f"stranded in cluster {stranded.cluster}: {stranded.pool} still holds it for {stranded.owner} "
            f"({stranded.kind}); release: {stranded.release}"
        )
    if answer.record is None:
        click.echo("address: not recorded (free, or held by something the ledger does not know)")
        return
    echo_fields(address_fields(answer.record))


@click.group("report")
def report() -> None:
    """Reports over the whole ledger."""


@report.command("utilization")
@optional_space_option("Only this space (default: all spaces).")
@click.option("--min-percent", type=float, default=None, metavar="N", help="Only prefixes at least N % full.")
@format_option
@pass_state
def utilization(state: CliState, space: str | None, min_percent: float | None, output: str) -> None:
    """How full every prefix is, as an indented tree with bars and threshold levels, and the
    roll-up per group (a group counts its own prefixes and those of the groups below it).

    A prefix is as full as the larger of: addresses held (out of its usable addresses) and
    space taken by the prefixes inside it.

    \b
    Example:
      ipledger report utilization --min-percent 70
    """
    found = utilization_report(state.ledger(), space=space, min_percent=min_percent)
    if output == "json":
        echo_json(found)
        return
    echo_table(
        ["prefix", "space", "utilization", "role", "group"],
        [
            (
                "  " * row.depth + str(row.prefix.network),
                row.prefix.space,
                usage_text(row.prefix.usage, row.prefix.level),
                row.prefix.role,
                text_or_dash(row.prefix.group),
            )
            for row in found.rows
        ],
        empty="no prefixes",
    )
    click.echo("")
    echo_table(
        ["group", "prefixes", "utilization"],
        [(group.path, group.prefixes, usage_text(group.usage, group.level)) for group in found.groups],
        empty="no groups",
    )
