"""Running the API with uvicorn: one process with the ledger opened once and shared by its threads,
or several worker processes (PostgreSQL), each opening the ledger itself through an app factory.

Each process runs, for the life of its application: the periodic cluster syncs (if asked; claimed
so that each runs once across every process), the utilization sampler and webhook delivery, and,
on PostgreSQL, a listener that wakes this process's event streams the moment another process
commits a change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from ipledger.api.app import create_app
from ipledger.service.events import CommitSignal, listen_for_changes
from ipledger.service.ledger import Ledger
from ipledger.service.monitor import Monitor
from ipledger.service.scheduler import SyncScheduler
from ipledger.service.webhook_delivery import WebhookDispatcher

__all__ = ["GRACE_SECONDS", "build_app", "serve", "serve_workers"]

GRACE_SECONDS = 10


def build_app(
    ledger: Ledger,
    *,
    sync_clusters: bool,
    monitor: bool = True,
    extend: Callable[[FastAPI], None] | None = None,
    close_ledger: bool = False,
) -> FastAPI:
    """The application of one server process, with its background work tied to its lifespan:
    with ``sync_clusters`` the periodic cluster syncs, with ``monitor`` the periodic utilization
    sample, history retention and webhook delivery. ``extend`` adds to the application (the web
    UI); ``close_ledger`` closes the ledger at the end."""
    app = create_app(ledger)
    if extend is not None:
        extend(app)
    signal: CommitSignal = app.state.commit_signal

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        workers: list[SyncScheduler | Monitor | WebhookDispatcher] = []
        if sync_clusters:
            workers.append(SyncScheduler(ledger))
        if monitor:
            workers += [Monitor(ledger), WebhookDispatcher(ledger)]
        listener = listen_for_changes(ledger, signal.notify)
        if listener is not None:
            listener.start()
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()
            if listener is not None:
                listener.stop()
            if close_ledger:
                ledger.close()

    app.router.lifespan_context = lifespan
    return app


def serve(
    ledger: Ledger,
    *,
    host: str,
    port: int,
    log_level: str = "info",
    sync_clusters: bool = True,
    monitor: bool = True,
    extend: Callable[[FastAPI], None] | None = None,
) -> None:
    """Serve in this process until interrupted (Ctrl-C or SIGTERM), then close the ledger."""
    try:
        app = build_app(ledger, sync_clusters=sync_clusters, monitor=monitor, extend=extend)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=log_level,
            access_log=log_level == "debug",
            # Requests in flight get this long to finish on shutdown; event streams never finish
            # by themselves, so without a limit one open browser would hold the server forever.
            timeout_graceful_shutdown=GRACE_SECONDS,
        )
    finally:
        ledger.close()


def serve_workers(app_factory: str, *, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve with ``workers`` processes sharing the port, each building its application with
    ``app_factory`` (``"module:function"``, no arguments); uvicorn restarts a worker that dies.
    On SIGTERM every worker stops taking connections and finishes the requests in flight."""
    uvicorn.run(
        app_factory,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level == "debug",
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
