"""Expected errors as one line on stderr: ``error: <message>``, exit 1 (ledger) or 2 (usage).

The ledger's errors already name the values involved, so the message is printed as it is;
click's usage errors lose the usage block and keep a pointer to ``--help`` on the same line.
"""

from __future__ import annotations

from typing import IO, Any

import click

from ipledger.core.errors import LedgerError

__all__ = ["ErrorLine", "UsageLine", "as_error_line"]


class ErrorLine(click.ClickException):
    """An expected failure, shown as one ``error:`` line; exit code 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


class UsageLine(ErrorLine):
    """A command line that cannot be run as written; exit code 2."""

    exit_code = 2


def as_error_line(exc: LedgerError | click.ClickException) -> ErrorLine:
    """The one-line form of a ledger or click error."""
    if isinstance(exc, ErrorLine):
        return exc
    if isinstance(exc, LedgerError):
        return ErrorLine(_one_line(str(exc)))
    message = _one_line(exc.format_message())
    if isinstance(exc, click.UsageError):
        if exc.ctx is not None:
            message += f" (see '{exc.ctx.command_path} --help')"
        return UsageLine(message)
    return ErrorLine(message)


def _one_line(message: str) -> str:
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())
