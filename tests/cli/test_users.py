"""`ipledger user` and `ipledger token`: managing users, grants and API tokens from the shell."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from ipledger.service import auth
from tests.cli.invocation import ACTOR, Cli, assert_error

PASSWORD = "correct horse battery"
TOKEN_LINE = re.compile(r"ipl_([0-9a-f]{8})_[A-Za-z0-9_-]{43}\n")


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The production argon2 cost (a fifth of a second a hash) adds nothing to what is tested here.
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    yield


def _rows(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line) for line in text.splitlines()]


def _token(cli: Cli, *args: str) -> str:
    result = cli("token", "create", *args)
    assert result.exit_code == 0, result.output
    match = TOKEN_LINE.fullmatch(result.stdout)
    assert match is not None, result.stdout
    return result.stdout.strip()


def test_user_create_and_list(cli: Cli) -> None:
    assert (
        cli.ok("user", "create", "Alice", "--password-stdin", stdin=PASSWORD + "\n") == "created user alice\n"
    )
    assert cli.ok("user", "create", "gitlab-ci", "--service") == "created service account gitlab-ci\n"
    cli.ok("user", "grant", "alice", "--role", "viewer")

    assert _rows(cli.ok("user", "list")) == [
        ["USER", "KIND", "STATE", "GRANTS"],
        ["alice", "human", "active", "viewer everywhere"],
        ["gitlab-ci", "service", "active", "-"],
    ]


def test_user_create_without_password_says_how_to_set_it(cli: Cli) -> None:
    assert (
        cli.ok("user", "create", "bob")
        == "created user bob\nset its password with: ipledger user passwd bob\n"
    )
    assert _rows(cli.ok("user", "list"))[1] == ["bob", "human", "no password", "-"]


def test_user_list_json_has_no_secrets(cli: Cli) -> None:
    cli.ok("user", "create", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    output = cli.ok("user", "list", "--format", "json")

    assert "argon2" not in output and PASSWORD not in output and "hash" not in output
    (alice,) = cli.json("user", "list")
    assert (alice["name"], alice["has_password"], alice["grants"]) == ("alice", True, [])


@pytest.mark.parametrize(
    ("args", "stdin", "message", "exit_code"),
    [
        pytest.param(["--password-stdin"], "short\n", "password too short: 5 characters", 1, id="weak"),
        pytest.param(
            ["--password-stdin"], "alice-is-here-1\n", "must not contain the user name", 1, id="name"
        ),
        pytest.param(
            ["--service", "--password-stdin"], PASSWORD, "a service account has no password", 2, id="svc"
        ),
    ],
)
def test_user_create_refuses(cli: Cli, args: list[str], stdin: str, message: str, exit_code: int) -> None:
    assert_error(cli("user", "create", "alice", *args, stdin=stdin), message, exit_code=exit_code)


def test_user_create_duplicate_refused(cli: Cli) -> None:
    cli.ok("user", "create", "alice")
    assert_error(cli("user", "create", "ALICE"), "user alice already exists")


def test_user_passwd_asks_twice(cli: Cli) -> None:
    cli.ok("user", "create", "bob")

    result = cli("user", "passwd", "bob", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert (result.exit_code, result.stdout) == (0, "password set for bob\n")
    assert "New password" in result.stderr and "Repeat the new password" in result.stderr
    assert PASSWORD not in result.output
    assert _rows(cli.ok("user", "list"))[1][2] == "active"


def test_user_passwd_from_stdin(cli: Cli) -> None:
    cli.ok("user", "create", "bob")
    assert (
        cli.ok("user", "passwd", "bob", "--password-stdin", stdin=PASSWORD + "\r\n")
        == "password set for bob\n"
    )


def test_user_passwd_unknown_user(cli: Cli) -> None:
    assert_error(cli("user", "passwd", "nobody", "--password-stdin", stdin=PASSWORD), "no user 'nobody'")


def test_user_grant_and_revoke_on_a_group(cli: Cli) -> None:
    cli.ok("group", "create", "kubernetes/prod", "--parents")
    cli.ok("user", "create", "alice")

    assert (
        cli.ok("user", "grant", "alice", "--role", "editor", "--group", "/kubernetes/prod/")
        == "granted alice editor on kubernetes/prod\n"
    )
    assert _rows(cli.ok("user", "list"))[1][3] == "editor on kubernetes/prod"
    assert (
        cli.ok("user", "revoke-grant", "alice", "--role", "editor", "--group", "kubernetes/prod")
        == "revoked from alice: editor on kubernetes/prod\n"
    )
    assert _rows(cli.ok("user", "list"))[1][3] == "-"


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        pytest.param(["grant", "alice", "--role", "owner"], "'owner' is not one of", 2, id="bad-role"),
        pytest.param(
            ["grant", "alice", "--role", "viewer", "--group", "nope"], "no group 'nope'", 1, id="group"
        ),
        pytest.param(
            ["revoke-grant", "alice", "--role", "admin"], "has no grant of admin everywhere", 1, id="none"
        ),
        pytest.param(["grant", "alice"], "Missing option '--role'", 2, id="no-role"),
    ],
)
def test_user_grant_refuses(cli: Cli, args: list[str], message: str, exit_code: int) -> None:
    cli.ok("user", "create", "alice")
    assert_error(cli("user", *args), message, exit_code=exit_code)


def test_user_disable_and_enable(cli: Cli) -> None:
    cli.ok("user", "create", "alice", "--password-stdin", stdin=PASSWORD)

    assert cli.ok("user", "disable", "alice") == "disabled user alice\n"
    assert _rows(cli.ok("user", "list"))[1][2] == "disabled"
    assert_error(cli("user", "disable", "alice"), "user alice is already disabled")
    assert cli.ok("user", "enable", "alice") == "enabled user alice\n"


def test_user_delete_waits_for_tokens_to_be_revoked(cli: Cli) -> None:
    cli.ok("user", "create", "ci", "--service")
    _token(cli, "ci", "--name", "deploy")

    assert_error(
        cli("user", "delete", "ci"), "ci still has 1 usable API token(s) (deploy); revoke them first"
    )
    cli.ok("token", "revoke", "1")
    assert cli.ok("user", "delete", "ci") == "deleted user ci\n"
    assert cli.ok("user", "list") == "no users\n"


def test_token_create_prints_the_token_alone_once(cli: Cli) -> None:
    cli.ok("user", "create", "ci", "--service")

    result = cli("token", "create", "ci", "--name", "deploy")

    assert result.exit_code == 0
    match = TOKEN_LINE.fullmatch(result.stdout)
    assert match is not None, result.stdout
    assert result.stderr.startswith("created token 1 (deploy of ci, read-write, expires ")
    assert result.stderr.endswith("; copy it now: it cannot be shown again\n")
    listing = cli.ok("token", "list") + cli.ok("token", "list", "--format", "json")
    secret = result.stdout.strip().rsplit("_", 1)[1]
    assert secret not in listing and f"ipl_{match.group(1)}" in listing and "hash" not in listing


def test_token_list_shows_scope_state_and_expiry(cli: Cli) -> None:
    cli.ok("user", "create", "grafana", "--service")
    _token(cli, "grafana", "--name", "dashboards", "--read-only", "--expires-days", "7")
    _token(cli, "grafana", "--name", "forever", "--no-expiry")

    rows = _rows(cli.ok("token", "list", "--user", "grafana"))

    assert rows[0] == ["ID", "USER", "NAME", "TOKEN", "SCOPE", "STATE", "EXPIRES", "LAST USED"]
    assert [row[2:3] + row[4:6] + row[7:] for row in rows[1:]] == [
        ["dashboards", "read-only", "active", "never"],
        ["forever", "read-write", "active", "never"],
    ]
    assert rows[2][6] == "never" and rows[1][6] != "never"
    tokens = cli.json("token", "list")
    assert [(token["name"], token["scope"], token["expires_at"] is None) for token in tokens] == [
        ("dashboards", "read-only", False),
        ("forever", "read-write", True),
    ]


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        pytest.param(["ci"], "Missing option '--name'", 2, id="no-name"),
        pytest.param(
            ["ci", "--name", "x", "--expires-days", "0"], "0 is not in the range x>=1", 2, id="zero-days"
        ),
        pytest.param(
            ["ci", "--name", "x", "--expires-days", "7", "--no-expiry"], "contradict each other", 2, id="both"
        ),
        pytest.param(["nobody", "--name", "x"], "no user 'nobody'", 1, id="unknown-user"),
    ],
)
def test_token_create_refuses(cli: Cli, args: list[str], message: str, exit_code: int) -> None:
    cli.ok("user", "create", "ci", "--service")
    assert_error(cli("token", "create", *args), message, exit_code=exit_code)


def test_token_revoke(cli: Cli) -> None:
    cli.ok("user", "create", "ci", "--service")
    prefix = _token(cli, "ci", "--name", "deploy")[:12]

    assert cli.ok("token", "revoke", "1") == f"revoked token 1 ({prefix}, deploy of ci)\n"
    assert _rows(cli.ok("token", "list"))[1][5] == "revoked"
    assert_error(cli("token", "revoke", "1"), "API token 1 (deploy) is already revoked")
    assert_error(cli("token", "revoke", "9"), "no API token with id 9")


def test_user_commands_are_audited_as_the_cli_actor(cli: Cli) -> None:
    cli.ok("user", "create", "alice", "--password-stdin", stdin=PASSWORD)
    cli.ok("user", "grant", "alice", "--role", "admin")

    changes = cli.json("log")
    assert [(change["actor"], change["action"], change["object_label"]) for change in changes[:2]] == [
        (ACTOR, "create", "alice: admin everywhere"),
        (ACTOR, "create", "alice"),
    ]
    assert "argon2" not in cli.ok("log", "--format", "json")


@pytest.mark.parametrize("group", ["user", "token"])
def test_help_gives_examples(cli: Cli, group: str) -> None:
    result = cli(group, "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout
