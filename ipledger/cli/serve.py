"""`ipledger serve`: the web UI and the HTTP API."""

from __future__ import annotations

import os

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.service.auth import ensure_first_admin


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface)."
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="How much the server logs (debug also logs every request).",
)
@click.option(
    "--sync-clusters/--no-sync-clusters",
    default=True,
    show_default=True,
    help="Run the periodic syncs of clusters scheduled with `ipledger cluster schedule`.",
)
@click.option(
    "--monitor/--no-monitor",
    default=True,
    show_default=True,
    help="Sample utilization every 15 minutes, thin the history, and deliver webhooks.",
)
@pass_state
def serve(state: CliState, host: str, port: int, log_level: str, sync_clusters: bool, monitor: bool) -> None:
    """Serve the web UI and the HTTP API on HOST:PORT until stopped with Ctrl-C.

    The web UI is at / (sign in with a user's password). The API lives under /api/v1; its
    interactive documentation is at /api/v1/docs and its OpenAPI schema at
    /api/v1/openapi.json. It uses the same database as every other command
    (--database or IPLEDGER_DATABASE: the SQLite file by default, or a PostgreSQL URL).

    Every API request needs an API token (`Authorization: Bearer <token>`; `ipledger token
    create`) or the browser session of a signed-in user. On the first start, when the ledger
    has no user yet, the user admin is created with the password in IPLEDGER_ADMIN_PASSWORD,
    or with a generated one printed once.

    Prometheus scrapes /metrics (with a token, unless IPLEDGER_METRICS_PUBLIC=1).

    \b
    Examples:
      ipledger serve
      ipledger --database postgresql://ipam@db.example.net/ipam serve --host 0.0.0.0 --port 8080
    """
    # Imported here: only `serve` needs the web stack.
    from ipledger.api.server import serve as run_server
    from ipledger.web.app import install_web

    ledger = state.ledger()
    password = ensure_first_admin(ledger, password_from_env=os.environ.get("IPLEDGER_ADMIN_PASSWORD") or None)
    if password is not None:
        click.echo(
            "first start: created the user admin (admin everywhere) with the password\n\n"
            f"    {password}\n\n"
            "It is shown only now. Create API tokens with `ipledger token create admin --name NAME`.",
            err=True,
        )
    click.echo(
        f"ipledger on http://{host}:{port}/ (web UI; API under /api/v1, docs /api/v1/docs), "
        f"ledger: {state.location()}",
        err=True,
    )
    run_server(
        ledger,
        host=host,
        port=port,
        log_level=log_level,
        sync_clusters=sync_clusters,
        monitor=monitor,
        extend=install_web,
    )
