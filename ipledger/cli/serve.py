"""`ipledger serve`: the web UI and the HTTP API."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.errors import UsageLine
from ipledger.service.auth import ensure_first_admin

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["DATABASE_URL_ENV", "MONITOR_ENV", "SYNC_CLUSTERS_ENV", "app_from_environment", "serve"]

# How `serve --workers N` hands its settings to the worker processes, which build their own app.
DATABASE_URL_ENV = "IPLEDGER_SERVE_DATABASE_URL"
SYNC_CLUSTERS_ENV = "IPLEDGER_SERVE_SYNC_CLUSTERS"
MONITOR_ENV = "IPLEDGER_SERVE_MONITOR"
APP_FACTORY = "ipledger.cli.serve:app_from_environment"


def app_from_environment() -> FastAPI:
    """The application of one worker process: the API and web UI on the ledger at
    ``IPLEDGER_SERVE_DATABASE_URL``, opened by this process and closed when it stops."""
    from ipledger.api.server import build_app
    from ipledger.service.ledger import Ledger
    from ipledger.web.app import install_web

    ledger = Ledger.open(os.environ[DATABASE_URL_ENV])
    sync_clusters = os.environ.get(SYNC_CLUSTERS_ENV) == "1"
    monitor = os.environ.get(MONITOR_ENV, "1") == "1"
    return build_app(
        ledger, sync_clusters=sync_clusters, monitor=monitor, extend=install_web, close_ledger=True
    )


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
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port (more than 1 needs PostgreSQL).",
)
@pass_state
def serve(
    state: CliState, host: str, port: int, log_level: str, sync_clusters: bool, monitor: bool, workers: int
) -> None:
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

    With --workers N (PostgreSQL only: one process serves a SQLite file), N processes share
    the port; a change made through one reaches the event streams of all, and each scheduled
    cluster sync runs once per interval across them. Several hosts on one PostgreSQL database
    work the same way. GET /healthz answers while the process runs; GET /readyz also checks
    the database (503 when it does not answer). SIGTERM lets requests in flight finish.

    \b
    Examples:
      ipledger serve
      ipledger --database postgresql://ipam@db.example.net/ipam serve --host 0.0.0.0 --workers 4
    """
    url = state.url()
    if workers > 1 and not url.startswith("postgresql"):
        raise UsageLine(
            f"--workers {workers} needs PostgreSQL: SQLite admits one writer process at a time, "
            "so one process serves a SQLite file (use --workers 1, or a postgresql:// database)"
        )
    # Imported here: only `serve` needs the web stack.
    from ipledger.api.server import serve as run_server
    from ipledger.api.server import serve_workers
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
    if workers == 1:
        run_server(
            ledger,
            host=host,
            port=port,
            log_level=log_level,
            sync_clusters=sync_clusters,
            monitor=monitor,
            extend=install_web,
        )
        return
    # Each worker opens the ledger itself; this process only supervises them.
    state.close()
    os.environ[DATABASE_URL_ENV] = url
    os.environ[SYNC_CLUSTERS_ENV] = "1" if sync_clusters else "0"
    os.environ[MONITOR_ENV] = "1" if monitor else "0"
    serve_workers(APP_FACTORY, host=host, port=port, workers=workers, log_level=log_level)
