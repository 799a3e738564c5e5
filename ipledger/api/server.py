"""Running the API with uvicorn: one process, the ledger opened once and shared by its threads."""

from __future__ import annotations

import uvicorn

from ipledger.api.app import create_app
from ipledger.service.ledger import Ledger
from ipledger.service.monitor import Monitor
from ipledger.service.scheduler import SyncScheduler
from ipledger.service.webhook_delivery import WebhookDispatcher

__all__ = ["serve"]


def serve(
    ledger: Ledger,
    *,
    host: str,
    port: int,
    log_level: str = "info",
    sync_clusters: bool = True,
    monitor: bool = True,
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), then close the ledger; with
    ``sync_clusters``, also run the periodic cluster syncs in a background thread; with
    ``monitor``, the periodic utilization sample, history retention and webhook delivery."""
    workers: list[SyncScheduler | Monitor | WebhookDispatcher] = []
    if sync_clusters:
        workers.append(SyncScheduler(ledger))
    if monitor:
        workers += [Monitor(ledger), WebhookDispatcher(ledger)]
    for worker in workers:
        worker.start()
    try:
        uvicorn.run(
            create_app(ledger), host=host, port=port, log_level=log_level, access_log=log_level == "debug"
        )
    finally:
        for worker in workers:
            worker.stop()
        ledger.close()
