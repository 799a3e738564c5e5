"""`ipledger user` and `ipledger token`: who may use the ledger, with which rights, and API tokens.

The command line works on the database directly, so it acts as the local operator: it needs no
login, and the audit log names the ``--actor`` as for every other command.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option
from ipledger.cli.render import echo_json, echo_table
from ipledger.core.permissions import AccessRole, Grant, TokenScope, UserKind, is_locked
from ipledger.service.auth import (
    DEFAULT_TOKEN_LIFETIME,
    TokenRecord,
    UserRecord,
    create_token,
    create_user,
    delete_user,
    disable_user,
    enable_user,
    grant,
    list_tokens,
    list_users,
    revoke_grant,
    revoke_token,
    set_password,
)
from ipledger.service.lookup import normalise_path

__all__ = ["token", "user"]

_ROLE = click.Choice([role.value for role in AccessRole])
_ROLE_HELP = (
    "viewer: read everything; editor: also change prefixes, ranges, addresses and clusters in "
    "the group; admin: also manage spaces, roles, users and tokens (when granted everywhere)."
)
_GROUP_HELP = "Limit the grant to this group and every group below it (default: everywhere)."
_STDIN_HELP = "Read the password from the first line of standard input (for scripts)."


@click.group("user")
def user() -> None:
    """Users and service accounts, and what each may do.

    A user holds grants: a role (viewer, editor, admin) everywhere or on a group and its whole
    subtree. The team that owns kubernetes/prod gets editor there and viewer everywhere else.
    Service accounts are for automation: they have no password and use API tokens.

    \b
    Example:
      ipledger user create alice
      ipledger user grant alice --role viewer
      ipledger user grant alice --role editor --group kubernetes/prod
    """


@user.command("create")
@click.argument("name")
@click.option("--service", is_flag=True, help="A service account for automation (API tokens, no password).")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@pass_state
def create_user_command(state: CliState, name: str, service: bool, password_stdin: bool) -> None:
    """Create a user or a service account.

    NAME takes letters, digits, '.', '_', '-' and '@', and is stored in lower case. A new user
    has no grants. A person without --password-stdin gets no password until
    `ipledger user passwd NAME`; passwords need at least 12 characters.

    \b
    Examples:
      ipledger user create alice
      printf '%s\\n' "$PASSWORD" | ipledger user create alice --password-stdin
      ipledger user create gitlab-ci --service
    """
    kind = UserKind.SERVICE if service else UserKind.HUMAN
    if service and password_stdin:
        raise click.UsageError("--password-stdin: a service account has no password")
    password = _read_stdin_password() if password_stdin else None
    record = create_user(state.ledger(), name, actor=state.actor, kind=kind, password=password)
    what = "service account" if service else "user"
    click.echo(f"created {what} {record.name}")
    if not service and not record.has_password:
        click.echo(f"set its password with: ipledger user passwd {record.name}")


@user.command("list")
@format_option
@pass_state
def list_users_command(state: CliState, output: str) -> None:
    """List the users with their kind, state and grants.

    Passwords are never shown: only whether one is set.

    \b
    Example:
      ipledger user list
    """
    records = list_users(state.ledger())
    if output == "json":
        echo_json(records)
        return
    now = datetime.now(UTC)
    echo_table(
        ["user", "kind", "state", "grants"],
        [(item.name, item.kind, _user_state(item, now), _grants_text(item.grants)) for item in records],
        empty="no users",
    )


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@pass_state
def passwd(state: CliState, name: str, password_stdin: bool) -> None:
    """Set a person's password, asked twice and not shown.

    At least 12 characters, and not containing the user name. This also ends a lockout after
    failed logins.

    \b
    Example:
      ipledger user passwd alice
    """
    if password_stdin:
        password = _read_stdin_password()
    else:
        password = click.prompt(
            "New password", hide_input=True, confirmation_prompt="Repeat the new password", err=True
        )
    record = set_password(state.ledger(), name, password, actor=state.actor)
    click.echo(f"password set for {record.name}")


@user.command("disable")
@click.argument("name")
@pass_state
def disable(state: CliState, name: str) -> None:
    """Stop a user: no logins, its API tokens refused.

    Reversible with `ipledger user enable`; the tokens work again then.

    \b
    Example:
      ipledger user disable alice
    """
    record = disable_user(state.ledger(), name, actor=state.actor)
    click.echo(f"disabled user {record.name}")


@user.command("enable")
@click.argument("name")
@pass_state
def enable(state: CliState, name: str) -> None:
    """Let a disabled user in again, or end a lockout early.

    Five wrong passwords in a row lock a user for 15 minutes; this ends that at once.

    \b
    Example:
      ipledger user enable alice
    """
    record = enable_user(state.ledger(), name, actor=state.actor)
    click.echo(f"enabled user {record.name}")


@user.command("grant")
@click.argument("name")
@click.option("--role", "role", type=_ROLE, required=True, help=_ROLE_HELP)
@click.option("--group", default=None, metavar="PATH", help=_GROUP_HELP)
@pass_state
def grant_command(state: CliState, name: str, role: str, group: str | None) -> None:
    """Give a user a role, everywhere or on a group's subtree.

    Grants add up: on each object the highest role that applies wins.

    \b
    Examples:
      ipledger user grant alice --role viewer
      ipledger user grant alice --role editor --group kubernetes/prod
      ipledger user grant bob --role admin
    """
    given = AccessRole(role)
    record = grant(state.ledger(), name, given, actor=state.actor, group=group)
    click.echo(f"granted {record.name} {_grant_text(given, group)}")


@user.command("revoke-grant")
@click.argument("name")
@click.option("--role", "role", type=_ROLE, required=True, help="The role of the grant to take back.")
@click.option("--group", default=None, metavar="PATH", help="The group of the grant (default: everywhere).")
@pass_state
def revoke_grant_command(state: CliState, name: str, role: str, group: str | None) -> None:
    """Take back a grant given with the same --role and --group.

    The user's other grants stay.

    \b
    Example:
      ipledger user revoke-grant alice --role editor --group kubernetes/prod
    """
    taken = AccessRole(role)
    record = revoke_grant(state.ledger(), name, taken, actor=state.actor, group=group)
    click.echo(f"revoked from {record.name}: {_grant_text(taken, group)}")


@user.command("delete")
@click.argument("name")
@pass_state
def delete(state: CliState, name: str) -> None:
    """Delete a user with its grants.

    The audit log keeps its name. Refused while NAME has usable API tokens (revoke them first,
    or disable the user instead), and for the last enabled admin.

    \b
    Example:
      ipledger user delete alice
    """
    record = delete_user(state.ledger(), name, actor=state.actor)
    click.echo(f"deleted user {record.name}")


@click.group("token")
def token() -> None:
    """API tokens: how scripts and pipelines sign in to the HTTP API.

    A token acts as its user, with the user's grants; a read-only token never changes anything.
    Send it as `Authorization: Bearer ipl_...`. Only a hash is stored: the token is shown once,
    when created. Tokens expire after 90 days unless told otherwise.

    \b
    Example:
      ipledger token create gitlab-ci --name deploy
    """


@token.command("create")
@click.argument("owner", metavar="USER")
@click.option("--name", required=True, help="What the token is for, e.g. the pipeline using it.")
@click.option("--read-only", is_flag=True, help="The token may only read, whatever the user's grants.")
@click.option(
    "--expires-days",
    type=click.IntRange(min=1),
    default=None,
    help="Days until the token stops working (default: 90).",
)
@click.option("--no-expiry", is_flag=True, help="A token that never expires (revoke it when done).")
@pass_state
def create_token_command(
    state: CliState, owner: str, name: str, read_only: bool, expires_days: int | None, no_expiry: bool
) -> None:
    """Create an API token and print it, this once only.

    The token alone goes to standard output, so a script can capture it; the note about it goes
    to standard error.

    \b
    Examples:
      ipledger token create gitlab-ci --name deploy
      TOKEN=$(ipledger token create grafana --name dashboards --read-only)
    """
    if no_expiry and expires_days is not None:
        raise click.UsageError("--expires-days and --no-expiry contradict each other; give one")
    lifetime = DEFAULT_TOKEN_LIFETIME if expires_days is None else timedelta(days=expires_days)
    record, plain = create_token(
        state.ledger(),
        owner,
        name=name,
        actor=state.actor,
        scope=TokenScope.READ_ONLY if read_only else TokenScope.READ_WRITE,
        expires_in=None if no_expiry else lifetime,
    )
    click.echo(plain)
    expires = "never expires" if record.expires_at is None else f"expires {_time(record.expires_at)}"
    click.echo(
        f"created token {record.id} ({record.name} of {record.user}, {record.scope}, {expires}); "
        "copy it now: it cannot be shown again",
        err=True,
    )


@token.command("list")
@click.option("--user", "owner", default=None, metavar="USER", help="Only this user's tokens.")
@format_option
@pass_state
def list_tokens_command(state: CliState, owner: str | None, output: str) -> None:
    """List API tokens: prefix, scope, state, expiry and last use.

    The tokens themselves are never shown; the prefix (ipl_xxxxxxxx) tells them apart.

    \b
    Example:
      ipledger token list --user gitlab-ci
    """
    records = list_tokens(state.ledger(), user=owner)
    if output == "json":
        echo_json(records)
        return
    now = datetime.now(UTC)
    echo_table(
        ["id", "user", "name", "token", "scope", "state", "expires", "last used"],
        [_token_row(item, now) for item in records],
        empty="no API tokens",
    )


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@pass_state
def revoke(state: CliState, token_id: int) -> None:
    """Revoke an API token; it stops working at once.

    ID is the number in `ipledger token list`.

    \b
    Example:
      ipledger token revoke 7
    """
    record = revoke_token(state.ledger(), token_id, actor=state.actor)
    click.echo(f"revoked token {record.id} ({record.prefix}, {record.name} of {record.user})")


def _read_stdin_password() -> str:
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _user_state(record: UserRecord, now: datetime) -> str:
    if record.disabled:
        return "disabled"
    if record.locked_until is not None and is_locked(record.locked_until, now):
        return f"locked until {_time(record.locked_until)}"
    if record.kind is UserKind.HUMAN and not record.has_password:
        return "no password"
    return "active"


def _grants_text(grants: tuple[Grant, ...]) -> str:
    return ", ".join(str(item) for item in grants) or "-"


def _grant_text(role: AccessRole, group: str | None) -> str:
    return str(Grant(role, None if group is None else normalise_path(group)))


def _token_row(record: TokenRecord, now: datetime) -> tuple[object, ...]:
    return (
        record.id,
        record.user,
        record.name,
        record.prefix,
        record.scope,
        record.state(now),
        "never" if record.expires_at is None else _time(record.expires_at),
        "never" if record.last_used_at is None else _time(record.last_used_at),
    )


def _time(stamp: datetime) -> str:
    return stamp.isoformat(timespec="seconds")
