"""Running the real entry point in process, and what a failed command must look like."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from ipledger.cli import main

__all__ = ["ACTOR", "Cli", "assert_error"]

ACTOR = "tester@cli"


@dataclass(frozen=True, slots=True)
class Cli:
    """Runs ``ipledger --database <file> --actor tester@cli ARGS...`` in process."""

    database: Path
    runner: CliRunner

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        return self.runner.invoke(
            main,
            ["--database", str(self.database), "--actor", ACTOR, *args],
            input=stdin,
            catch_exceptions=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        """Run a command that must succeed with nothing on stderr; its stdout."""
        result = self(*args, stdin=stdin)
        assert (result.exit_code, result.stderr) == (0, ""), result.output
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--format", "json"))

    def copy(self, database: Path) -> Cli:
        """The same ledger in another file, for tests that share an expensive setup."""
        shutil.copyfile(self.database, database)
        return Cli(database, CliRunner())

    def change_ids(self) -> list[int]:
        return [change["id"] for change in self.json("log", "--limit", "10000")]


def assert_error(result: Result, message: str, *, exit_code: int = 1) -> None:
    """The command failed with exactly one ``error:`` line that contains ``message``."""
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0], lines[0]
