"""`ipledger serve --workers N`: refused on SQLite, where one process serves the file."""

from __future__ import annotations

from tests.cli.invocation import Cli, assert_error


def test_serve_refuses_several_workers_on_sqlite(cli: Cli) -> None:
    result = cli("serve", "--workers", "2")

    assert_error(result, "--workers 2 needs PostgreSQL", exit_code=2)


def test_serve_help_explains_workers(cli: Cli) -> None:
    text = cli.ok("serve", "--help")

    assert "--workers" in text and "/readyz" in text
