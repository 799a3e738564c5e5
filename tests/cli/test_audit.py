"""`ipledger log`: the audit log with its filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ipledger.cli import main
from tests.cli.invocation import Cli


@pytest.fixture
def history(cli: Cli) -> Cli:
    cli.ok("space", "create", "lab")
    cli.ok("prefix", "create", "10.0.0.0/16")
    cli.ok("prefix", "update", "10.0.0.0/16", "--description", "DC1")
    runner = CliRunner()
    runner.invoke(
        main, ["--database", str(cli.database), "--actor", "bob", "prefix", "create", "10.1.0.0/16"]
    )
    return cli


def test_log_lists_newest_first(history: Cli) -> None:
    lines = history.ok("log").splitlines()
    assert lines[0].split() == ["ID", "TIME", "ACTOR", "ACTION", "KIND", "OBJECT"]
    assert [line.split()[2:5] for line in lines[1:]] == [
        ["bob", "create", "prefix"],
        ["tester@cli", "update", "prefix"],
        ["tester@cli", "create", "prefix"],
        ["tester@cli", "create", "space"],
    ]
    assert lines[1].endswith("10.1.0.0/16 (global) #2")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--kind", "space"], ["lab"], id="kind"),
        pytest.param(
            ["--id", "1", "--kind", "prefix"], ["10.0.0.0/16 (global)", "10.0.0.0/16 (global)"], id="id"
        ),
        pytest.param(["--label", "10.1."], ["10.1.0.0/16 (global)"], id="label"),
        pytest.param(["--actor", "bob"], ["10.1.0.0/16 (global)"], id="actor"),
        pytest.param(["--limit", "1", "--offset", "1"], ["10.0.0.0/16 (global)"], id="page"),
        pytest.param(["--until", "2000-01-01"], [], id="until"),
        pytest.param(["--since", "2000-01-01T00:00:00+02:00", "--kind", "space"], ["lab"], id="since"),
    ],
)
def test_log_filters(history: Cli, args: list[str], expected: list[str]) -> None:
    assert [change["object_label"] for change in history.json("log", *args)] == expected


def test_log_json_holds_before_and_after(history: Cli) -> None:
    change = history.json("log", "--actor", "tester@cli", "--limit", "1")[0]
    assert (change["before"]["description"], change["after"]["description"]) == ("", "DC1")
    assert change["at"].endswith("+00:00")


def test_log_of_an_empty_ledger(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--database", str(tmp_path / "l.db"), "log"], catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (0, "no changes match\n")
