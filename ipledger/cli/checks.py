"""`ipledger check`: conflicts, stored state that disagrees with the objects, full prefixes."""

from __future__ import annotations

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option
from ipledger.cli.render import echo_json, echo_table
from ipledger.core.findings import Severity
from ipledger.service.checks import check_ledger, repair_ledger

__all__ = ["check"]


@click.command("check")
@click.option("--repair", is_flag=True, help="First rebuild free space and counters from the objects.")
@format_option
@pass_state
def check(state: CliState, repair: bool, output: str) -> None:
    """Check the ledger and list the findings (severity, kind, subject, message).

    Errors are overlapping objects and stored counters or free space that disagree with the
    objects (--repair rebuilds those); warnings and info are prefixes past a threshold.
    Exits with 1 when any finding is an error, else 0, so it fits in cron or CI.

    \b
    Example:
      ipledger check --repair
    """
    repaired = None if not repair else repair_ledger(state.ledger(), actor=state.actor)
    findings = check_ledger(state.ledger())
    errors = sum(1 for finding in findings if finding.severity is Severity.ERROR)
    if output == "json":
        echo_json({"repaired_spaces": repaired, "errors": errors, "findings": findings})
    else:
        if repaired is not None:
            click.echo(f"repaired {repaired} spaces")
        echo_table(
            ["severity", "kind", "subject", "message"],
            [(finding.severity, finding.kind, finding.subject, finding.message) for finding in findings],
            empty="no findings",
        )
        click.echo(f"{len(findings)} findings, {errors} errors")
    if errors:
        click.get_current_context().exit(1)
