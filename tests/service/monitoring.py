"""Shared pieces of the monitoring tests: a clock the test moves, and a ledger that uses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ipledger.service.ledger import Ledger

__all__ = ["T0", "Clock", "clocked"]

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def clocked(ledger: Ledger, clock: Clock) -> Ledger:
    """The same database, with every change stamped by ``clock``."""
    return Ledger(ledger.database, clock=clock)
