"""Monitoring on the command line: `ipledger report history`, `ipledger report forecast`,
`ipledger findings` (list, ack) and `ipledger monitor` (sample, prune)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import PREFIX, RANGE, TIMESTAMP, format_option, space_option
from ipledger.cli.render import bar, echo_json, echo_table, text_or_dash
from ipledger.core.addresses import IPNetwork
from ipledger.core.forecast import Forecast
from ipledger.core.history import Retention
from ipledger.core.ranges import IPRange
from ipledger.service.history import (
    Subject,
    SubjectForecast,
    cluster_subject,
    forecast_all,
    forecast_subject,
    prefix_subject,
    prune_history,
    range_subject,
    series,
)
from ipledger.service.ledger import Ledger
from ipledger.service.standing_findings import acknowledge_finding, list_standing_findings
from ipledger.service.watch import sample_everything

__all__ = ["findings", "forecast", "history", "monitor"]


def _subject(
    ledger: Ledger, prefix: IPNetwork | None, cluster: str | None, space: str, span: IPRange | None = None
) -> Subject:
    if sum(item is not None for item in (prefix, cluster, span)) != 1:
        raise click.UsageError("name one PREFIX, one --range or one --cluster")
    if cluster is not None:
        return cluster_subject(ledger, cluster)
    if span is not None:
        return range_subject(ledger, span, space=space)
    assert prefix is not None
    return prefix_subject(ledger, prefix, space=space)


@click.command("history")
@click.argument("prefix", type=PREFIX, required=False)
@click.option("--cluster", default=None, help="The pod-IP history of this cluster instead of a prefix.")
@click.option("--range", "span", type=RANGE, default=None, help="The history of this range (START-END).")
@space_option()
@click.option("--since", type=TIMESTAMP, default=None, help="Samples at or after this time (UTC if no zone).")
@click.option(
    "--until", type=TIMESTAMP, default=None, help="Samples at or before this time (UTC if no zone)."
)
@format_option
@pass_state
def history(
    state: CliState,
    prefix: IPNetwork | None,
    cluster: str | None,
    span: IPRange | None,
    space: str,
    since: datetime | None,
    until: datetime | None,
    output: str,
) -> None:
    """The utilization history of a prefix or a range (a sample at every change) or of a
    cluster's pod IPs (a sample at every sync); each sample holds until the next.

    \b
    Examples:
      ipledger report history 10.42.0.0/16 --since 2026-11-01
      ipledger report history --range 10.42.0.10-10.42.0.99
      ipledger report history --cluster prod-eu-1 --format json
    """
    ledger = state.ledger()
    subject = _subject(ledger, prefix, cluster, space, span)
    samples = series(ledger, subject, since=since, until=until)
    if output == "json":
        echo_json({"subject": subject, "samples": samples})
        return
    click.echo(f"{subject.kind} {subject.label}")
    echo_table(
        ["at", "used", "of", "utilization"],
        [
            (f"{item.at:%Y-%m-%d %H:%M}", item.used, item.total, f"{bar(item.percent)} {item.percent:5.1f}%")
            for item in samples
        ],
        empty="no samples yet",
    )


@click.command("forecast")
@click.argument("prefix", type=PREFIX, required=False)
@click.option("--cluster", default=None, help="Forecast this cluster's pod IPs.")
@space_option()
@click.option(
    "--kind", type=click.Choice(["prefix", "cluster"]), default=None, help="Only prefixes or clusters."
)
@click.option(
    "--min-percent", type=click.FloatRange(0, 100), default=0.0, help="Only prefixes at least N % full."
)
@click.option(
    "--window-days",
    type=click.IntRange(1, 3660),
    default=30,
    show_default=True,
    help="Days of history to fit.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Show at most this many."
)
@format_option
@pass_state
def forecast(
    state: CliState,
    prefix: IPNetwork | None,
    cluster: str | None,
    space: str,
    kind: str | None,
    min_percent: float,
    window_days: int,
    limit: int,
    output: str,
) -> None:
    """When prefixes and clusters cross their warning, critical and emergency marks and run
    out, from a straight line fitted to their recent history: the soonest first, with the growth
    per day and the confidence. Too little history says so instead of guessing.

    \b
    Examples:
      ipledger report forecast --min-percent 50
      ipledger report forecast 10.42.0.0/16
      ipledger report forecast --cluster prod-eu-1 --window-days 14
    """
    ledger = state.ledger()
    now, window = datetime.now(UTC), timedelta(days=window_days)
    if prefix is not None or cluster is not None:
        found = [forecast_subject(ledger, _subject(ledger, prefix, cluster, space), now=now, window=window)]
    else:
        found = forecast_all(ledger, now=now, window=window, kind=kind, min_percent=min_percent)[:limit]
    if output == "json":
        echo_json([_forecast_json(item) for item in found])
        return
    echo_table(
        ["subject", "now", "per day", "warning", "critical", "emergency", "full", "confidence"],
        [_forecast_row(item) for item in found],
        empty="no prefix or cluster has history yet",
    )
    for item in found:
        if item.forecast.slope_per_day is None or len(found) == 1:
            click.echo(f"{item.subject.label}: {item.forecast.reason}")


def _forecast_json(item: SubjectForecast) -> dict[str, object]:
    """The forecast as the API gives it (the span in days)."""
    result = item.forecast
    return {
        "subject": item.subject,
        "current_percent": result.current_percent,
        "points": result.points,
        "span_days": result.span.total_seconds() / 86400,
        "confidence": result.confidence,
        "reason": result.reason,
        "percent_per_day": result.slope_per_day,
        "addresses_per_day": result.addresses_per_day,
        "r_squared": result.r_squared,
        "exhaustion": result.exhaustion,
        "crossings": result.crossings,
    }


def _forecast_row(item: SubjectForecast) -> tuple[str, ...]:
    result: Forecast = item.forecast
    dates = [
        "reached" if crossing.reached else "-" if crossing.at is None else f"{crossing.at:%Y-%m-%d}"
        for crossing in result.crossings
    ]
    rate = "-" if result.addresses_per_day is None else f"{result.addresses_per_day:+.1f} addr"
    return (
        f"{item.subject.kind} {item.subject.label}",
        f"{result.current_percent:.1f}%",
        rate,
        *dates,
        result.confidence.value,
    )


@click.group("findings", invoke_without_command=True)
@click.option("--level", "levels", multiple=True, type=click.Choice(["warning", "critical", "emergency"]))
@click.option("--group", default=None, help="Only findings of this group and the groups below it.")
@click.option(
    "--state", "status", type=click.Choice(["open", "closed", "all"]), default="open", show_default=True
)
@click.option("--unacknowledged", is_flag=True, help="Only findings nobody has acknowledged.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@format_option
@click.pass_context
def findings(
    ctx: click.Context,
    levels: tuple[str, ...],
    group: str | None,
    status: str,
    unacknowledged: bool,
    limit: int,
    output: str,
) -> None:
    """Prefixes over their thresholds: a finding opens when a prefix reaches its warning,
    critical or emergency mark, follows its level, and closes once utilization is 2 points
    below the warning mark. Without a subcommand: list them, newest first.

    \b
    Examples:
      ipledger findings --level critical --level emergency
      ipledger findings ack 12 --note "expanding on Monday (CHG-1234)"
    """
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    found, total = list_standing_findings(
        state.ledger(),
        levels=list(levels) or None,
        group=group,
        state=status,
        acknowledged=False if unacknowledged else None,
        limit=limit,
    )
    if output == "json":
        echo_json(found)
        return
    echo_table(
        ["id", "level", "subject", "now", "group", "opened", "closed", "acknowledged"],
        [
            (
                item.id,
                item.level if item.closed_at is None else f"({item.level})",
                item.subject,
                f"{item.percent:.1f}%",
                text_or_dash(item.group),
                f"{item.opened_at:%Y-%m-%d %H:%M}",
                "-" if item.closed_at is None else f"{item.closed_at:%Y-%m-%d %H:%M}",
                "-" if item.acknowledged_by is None else f"{item.acknowledged_by}: {item.note}",
            )
            for item in found
        ],
        empty=f"no {status} findings" if status != "all" else "no findings",
    )
    if total > len(found):
        click.echo(f"({total - len(found)} more; raise --limit)")


@findings.command("ack")
@click.argument("finding_id", type=int)
@click.option("--note", default="", help="Why it is fine for now, or what is being done.")
@pass_state
def ack(state: CliState, finding_id: int, note: str) -> None:
    """Acknowledge a finding: record who has seen it and a note. It stays open until utilization
    falls; a later change of its level is a new event."""
    record = acknowledge_finding(state.ledger(), finding_id, actor=state.actor, note=note)
    click.echo(f"acknowledged finding #{record.id} ({record.level} {record.subject})")


@click.group("monitor")
def monitor() -> None:
    """The periodic work of `ipledger serve --monitor`, by hand: sampling and retention."""


@monitor.command("sample")
@pass_state
def sample(state: CliState) -> None:
    """Sample every prefix and range that changed since its last sample, and settle every
    threshold finding (what the server does every 15 minutes)."""
    counts = sample_everything(state.ledger(), actor=state.actor)
    click.echo(
        f"sampled {counts.prefixes} prefix(es), {counts.ranges} range(s); {counts.findings} finding change(s)"
    )


@monitor.command("prune")
@click.option(
    "--raw-days",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Keep every sample this long.",
)
@click.option(
    "--hourly-days", type=click.IntRange(min=0), default=30, show_default=True, help="Then one an hour."
)
@click.option(
    "--daily-days", type=click.IntRange(min=0), default=1098, show_default=True, help="Then one a day."
)
@pass_state
def prune(state: CliState, raw_days: int, hourly_days: int, daily_days: int) -> None:
    """Thin the utilization history: every sample of the last --raw-days, the last of each hour
    up to --hourly-days, the last of each day up to --daily-days, nothing older."""
    retention = Retention(
        raw=timedelta(days=raw_days), hourly=timedelta(days=hourly_days), daily=timedelta(days=daily_days)
    )
    dropped = prune_history(state.ledger(), now=datetime.now(UTC), retention=retention)
    click.echo(f"dropped {dropped} sample(s)")
