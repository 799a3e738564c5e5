"""`ipledger export`, `import` and `import-csv`: the whole ledger as JSON, and spreadsheets in.

Imports are all or nothing: one bad entry stops them with its position and nothing is written.
A long import shows a progress bar on stderr, so stdout stays clean for the summary.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, TextIO

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.errors import ErrorLine
from ipledger.cli.params import space_option
from ipledger.core.errors import InvalidInputError
from ipledger.service.transfer import ImportSummary, export_ledger, import_csv, import_ledger

__all__ = ["export", "import_csv_file", "import_document"]

# Below this many rows an import is over before a bar would be worth drawing.
_LONG_IMPORT = 500


@click.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True, atomic=True), default="-")
@pass_state
def export(state: CliState, file: TextIO) -> None:
    """Write the whole ledger (spaces, roles, groups, prefixes, ranges, addresses) as one JSON
    document to FILE, or to stdout when FILE is - or left out. `ipledger import` reads it back.

    The audit log is not part of it; `ipledger log --format json` exports that.

    \b
    Examples:
      ipledger export backup.json
      ipledger export | jq '.prefixes | length'
    """
    document = export_ledger(state.ledger())
    file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    if file.name not in ("-", "<stdout>"):
        click.echo(f"exported {_count_document(document)} to {file.name}")


def _count_document(document: dict[str, Any]) -> str:
    sections = ("spaces", "groups", "prefixes", "ranges", "addresses")
    return ", ".join(f"{len(document.get(section, []))} {section}" for section in sections)


@click.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@pass_state
def import_document(state: CliState, file: TextIO) -> None:
    """Load a JSON document written by `ipledger export` into the ledger, adding to what is
    there. All or nothing: an object that collides with the ledger stops the import.

    \b
    Example:
      ipledger --database new.db import backup.json
    """
    try:
        document = json.load(file)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{file.name}: not a JSON document ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    with _progress() as progress:
        summary = import_ledger(state.ledger(), document, actor=state.actor, progress=progress)
    click.echo(f"imported {_describe(summary)}")


@click.command("import-csv")
@click.argument("kind", type=click.Choice(["prefixes", "addresses"]))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@space_option("Space of the rows that have no space column.")
@pass_state
def import_csv_file(state: CliState, kind: str, file: str, space: str) -> None:
    """Import prefixes or addresses from a CSV file (- for stdin), e.g. a spreadsheet export.

    The first row names the columns, in any order and case; only the prefix (or address)
    column is required. Prefix columns: prefix, space, status, role, group, description, tags,
    managed_by, pool, warning, critical, emergency. Address columns: address, space, status,
    holder_kind, holder_name, dns_name, mac, source, last_seen, group, description, tags.
    Separate several tags with ";". All or nothing: a bad row stops the import with its row
    number.

    \b
    Example:
      ipledger import-csv prefixes subnets.csv --space global
    """
    with _progress() as progress, _open_csv(file) as stream:
        summary = import_csv(state.ledger(), kind, stream, actor=state.actor, space=space, progress=progress)
    click.echo(f"imported {_describe(summary)}")


@contextmanager
def _open_csv(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdin
        return
    try:
        # newline="" as the csv module asks; utf-8-sig drops the byte-order mark spreadsheets write.
        stream = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise ErrorLine(f"cannot read {path}: {exc.strerror}") from exc
    with stream:
        yield stream


def _describe(summary: ImportSummary) -> str:
    return (
        f"{summary.spaces} spaces, {summary.groups} groups, {summary.prefixes} prefixes, "
        f"{summary.ranges} ranges, {summary.addresses} addresses"
    )


class _ImportProgress:
    """The ``progress(done, total)`` callback of an import: draws a bar once the import is long."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._advance: Callable[[int], None] | None = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if self._advance is None:
            if total < _LONG_IMPORT:
                return
            bar = self._stack.enter_context(
                click.progressbar(length=total, label=f"importing {total} rows", file=sys.stderr)
            )
            self._advance = bar.update
        self._advance(done - self._done)
        self._done = done


@contextmanager
def _progress() -> Iterator[_ImportProgress]:
    with ExitStack() as stack:
        yield _ImportProgress(stack)
