"""The root command: help texts, global options, where the database lives, one-line errors."""

from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipledger.cli import main
from tests.cli.invocation import Cli, assert_error

COMMANDS = [
    "init",
    "space create",
    "space list",
    "space delete",
    "group create",
    "group list",
    "group show",
    "group update",
    "group rename",
    "group move",
    "group delete",
    "role list",
    "role create",
    "role delete",
    "prefix create",
    "prefix show",
    "prefix list",
    "prefix update",
    "prefix delete",
    "range create",
    "range list",
    "range update",
    "range delete",
    "address create",
    "address show",
    "address list",
    "address update",
    "address delete",
    "allocate address",
    "allocate prefix",
    "free",
    "whois",
    "report utilization",
    "check",
    "log",
    "export",
    "import",
    "import-csv",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_gives_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [*command.split(), "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: ipledger {command} ")
    assert "Example" in result.stdout


def test_help_touches_no_database(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    result = CliRunner().invoke(main, ["--database", str(database), "prefix", "create", "--help"])
    assert result.exit_code == 0
    assert not database.exists()


@pytest.mark.parametrize(
    "launcher",
    [
        pytest.param([str(Path(sys.executable).with_name("ipledger"))], id="console-script"),
        pytest.param([sys.executable, "-m", "ipledger"], id="python-m"),
    ],
)
def test_entry_point_runs_as_a_program(launcher: list[str]) -> None:
    done = subprocess.run([*launcher, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage: ipledger [OPTIONS] COMMAND" in done.stdout
    assert "allocate" in done.stdout


def test_entry_point_reports_errors_as_a_program(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "ipledger",
        "--database",
        str(tmp_path / "l.db"),
        "prefix",
        "show",
        "10.0.0.1/8",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "error: 10.0.0.1/8: host bits set; did you mean 10.0.0.0/8?\n"


def test_init_creates_the_database_and_says_where(tmp_path: Path) -> None:
    database = tmp_path / "new.db"
    result = CliRunner().invoke(main, ["--database", str(database), "init"], catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (0, f"ledger ready: {database}\n")
    assert database.is_file()


def test_init_upgrades_an_existing_database_without_loss(cli: Cli) -> None:
    cli.ok("prefix", "create", "10.0.0.0/8")
    assert cli.ok("init") == f"ledger ready: {cli.database}\n"
    assert [item["network"] for item in cli.json("prefix", "list")["prefixes"]] == ["10.0.0.0/8"]


def test_database_default_lives_in_xdg_data_home(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "IPLEDGER_DATABASE": None}
    result = CliRunner(env=env).invoke(main, ["init"], catch_exceptions=False)
    expected = tmp_path / "data" / "ipledger" / "ipledger.db"
    assert (result.exit_code, result.stdout) == (0, f"ledger ready: {expected}\n")
    assert expected.is_file()


def test_database_default_falls_back_to_local_share(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": "", "HOME": str(tmp_path), "IPLEDGER_DATABASE": None}
    result = CliRunner(env=env).invoke(main, ["init"], catch_exceptions=False)
    assert result.exit_code == 0
    assert (tmp_path / ".local" / "share" / "ipledger" / "ipledger.db").is_file()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("{path}", id="plain-path"),
        pytest.param("sqlite:///{path}", id="sqlite-url"),
        pytest.param("sqlite+pysqlite:///{path}", id="sqlalchemy-url"),
    ],
)
def test_database_accepts_paths_and_urls(tmp_path: Path, value: str) -> None:
    database = tmp_path / "ledger.db"
    result = CliRunner().invoke(
        main, ["--database", value.format(path=database), "init"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert database.is_file()


def test_database_comes_from_the_environment(tmp_path: Path) -> None:
    database = tmp_path / "env.db"
    result = CliRunner(env={"IPLEDGER_DATABASE": str(database)}).invoke(
        main, ["init"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert database.is_file()


@pytest.mark.parametrize(
    ("value", "message", "exit_code"),
    [
        pytest.param(
            "{tmp}/missing/ledger.db", "folder {tmp}/missing does not exist", 2, id="missing-folder"
        ),
        pytest.param("{tmp}", "is a folder; name a database file", 2, id="folder"),
        pytest.param("mysql://db/ipam", "unsupported database URL 'mysql://db/ipam'", 1, id="engine"),
    ],
)
def test_database_refuses_what_it_cannot_open(
    tmp_path: Path, value: str, message: str, exit_code: int
) -> None:
    result = CliRunner().invoke(
        main, ["--database", value.format(tmp=tmp_path), "init"], catch_exceptions=False
    )
    assert_error(result, message.format(tmp=tmp_path), exit_code=exit_code)


def test_actor_is_recorded_in_the_log(cli: Cli) -> None:
    cli.ok("space", "create", "lab")
    assert cli.json("log")[0]["actor"] == "tester@cli"


def test_actor_defaults_to_the_login_user(tmp_path: Path) -> None:
    runner = CliRunner(env={"IPLEDGER_ACTOR": None})
    database = str(tmp_path / "ledger.db")
    runner.invoke(main, ["--database", database, "space", "create", "lab"], catch_exceptions=False)
    result = runner.invoke(main, ["--database", database, "log", "--format", "json"], catch_exceptions=False)
    assert f'"actor": "{getpass.getuser()}@cli"' in result.stdout


def test_actor_comes_from_the_environment(tmp_path: Path) -> None:
    runner = CliRunner(env={"IPLEDGER_ACTOR": "ci-pipeline"})
    database = str(tmp_path / "ledger.db")
    runner.invoke(main, ["--database", database, "space", "create", "lab"], catch_exceptions=False)
    result = runner.invoke(main, ["--database", database, "log"], catch_exceptions=False)
    assert "ci-pipeline" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--bogus"], "No such option '--bogus'. (see 'ipledger --help')", id="root-option"),
        pytest.param(["prefix", "creat"], "No such command 'creat'", id="command"),
        pytest.param(
            ["prefix", "create"],
            "Missing argument 'CIDR'. (see 'ipledger prefix create --help')",
            id="argument",
        ),
        pytest.param(["prefix", "list", "--family", "5"], "Invalid value for '--family'", id="choice"),
        pytest.param(["log", "--since", "yesterday"], "'yesterday' is not an ISO 8601 time", id="time"),
        pytest.param(["prefix", "list", "--limit", "0"], "Invalid value for '--limit'", id="range"),
    ],
)
def test_usage_error_is_one_line_with_exit_code_2(cli: Cli, args: list[str], message: str) -> None:
    assert_error(cli(*args), message, exit_code=2)


def test_group_without_command_shows_its_help(cli: Cli) -> None:
    result = cli("prefix")
    assert result.exit_code == 2
    assert "Commands:" in result.stderr + result.stdout
