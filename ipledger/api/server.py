"""Running the API with uvicorn: one process, the ledger opened once and shared by its threads."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from ipledger.api.app import create_app
from ipledger.service.ledger import Ledger
from ipledger.service.monitor import Monitor
from ipledger.service.scheduler import SyncScheduler
from ipledger.service.webhook_delivery import WebhookDispatcher

__all__ = ["GRACE_SECONDS", "serve"]

GRACE_SECONDS = 10


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
    """Serve until interrupted (Ctrl-C or SIGTERM), then close the ledger; with
    ``sync_clusters``, also run the periodic cluster syncs in a background thread; with
    ``monitor``, the periodic utilization sample, history retention and webhook delivery.
    ``extend`` adds to the application (the web UI)."""
    workers: list[SyncScheduler | Monitor | WebhookDispatcher] = []
    if sync_clusters:
        workers.append(SyncScheduler(ledger))
    if monitor:
        workers += [Monitor(ledger), WebhookDispatcher(ledger)]
    for worker in workers:
        worker.start()
    try:
        app = create_app(ledger)
        if extend is not None:
            extend(app)
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
        for worker in workers:
            worker.stop()
        ledger.close()
