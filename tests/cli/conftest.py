"""Fixtures of the CLI tests: the real entry point, run in process against a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.invocation import Cli


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    """A migrated, empty ledger (the global space and the default roles)."""
    return Cli(sqlite_template, CliRunner()).copy(tmp_path / "ledger.db")
