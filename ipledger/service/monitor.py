"""The server's monitoring thread: the periodic utilization sample and the retention of history.

Every ``sample_every`` it samples what changed without a transaction noticing and settles the
threshold findings (``watch.sample_everything``); every ``prune_every`` it thins the history
(``history.prune_history``). Webhook delivery runs in its own thread
(``webhooks.WebhookDispatcher``), so that a slow receiver never delays sampling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ipledger.service.history import prune_history
from ipledger.service.ledger import Ledger
from ipledger.service.watch import sample_everything

__all__ = ["Monitor", "run_monitor_round"]

_log = logging.getLogger("ipledger.monitor")


def run_monitor_round(
    ledger: Ledger, *, now: datetime, last_prune: datetime | None, prune_every: timedelta
) -> datetime | None:
    """One round: sample, and prune when the last prune is ``prune_every`` old; returns the
    time of the last prune."""
    sample_everything(ledger)
    if last_prune is None or now - last_prune >= prune_every:
        dropped = prune_history(ledger, now=now)
        _log.info("history retention dropped %d sample(s)", dropped)
        return now
    return last_prune


class Monitor:
    """A daemon thread that runs a round every ``sample_every`` until stopped."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        sample_every: timedelta = timedelta(minutes=15),
        prune_every: timedelta = timedelta(hours=6),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ledger = ledger
        self._sample_every = sample_every
        self._prune_every = prune_every
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ipledger-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        last_prune = None
        while not self._stop.is_set():
            try:
                last_prune = run_monitor_round(
                    self._ledger, now=self._clock(), last_prune=last_prune, prune_every=self._prune_every
                )
            except Exception:  # the database failed, say: try again next round
                _log.exception("monitor round failed")
            self._stop.wait(self._sample_every.total_seconds())
