"""The server's background work: the monitor round (sample, prune when due) and the webhook
dispatcher thread delivering outside the request that made the change."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from ipledger.core.permissions import AccessRole
from ipledger.service.auth import create_user, grant
from ipledger.service.ledger import Ledger
from ipledger.service.monitor import Monitor, run_monitor_round
from ipledger.service.webhook_delivery import WebhookDispatcher
from ipledger.service.webhooks import create_webhook, dispatch_events
from ipledger.store.models import UtilizationSample
from tests.service.factories import add_address, add_prefix, count_rows
from tests.service.monitoring import T0, Clock, clocked
from tests.service.receiver import receiving

# Only ends a run in which the thread never did its work; it never decides a pass.
_DEADLINE = 60.0


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_run_monitor_round_prunes_only_when_due(ledger: Ledger) -> None:
    clock = Clock(T0 - timedelta(days=5000))
    old = clocked(ledger, clock)
    add_prefix(old, "10.0.0.0/24")  # samples far older than any retention
    add_address(old, "10.0.0.1")
    every = timedelta(hours=6)

    first = run_monitor_round(ledger, now=T0, last_prune=None, prune_every=every)
    assert (first, count_rows(ledger, UtilizationSample)) == (T0, 1)  # the latest stays
    add_address(old, "10.0.0.2")
    soon = run_monitor_round(ledger, now=T0 + timedelta(hours=1), last_prune=first, prune_every=every)
    assert (soon, count_rows(ledger, UtilizationSample)) == (T0, 2)
    later = run_monitor_round(ledger, now=T0 + every, last_prune=soon, prune_every=every)
    assert (later, count_rows(ledger, UtilizationSample)) == (T0 + every, 1)


def test_monitor_thread_runs_a_round_and_stops(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    with ledger.engine.begin() as connection:  # a sample lost: the round must take it again
        connection.execute(UtilizationSample.__table__.delete())
    monitor = Monitor(ledger, sample_every=timedelta(hours=1))

    monitor.start()
    deadline = time.monotonic() + _DEADLINE
    while count_rows(ledger, UtilizationSample) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    monitor.stop()

    assert count_rows(ledger, UtilizationSample) == 1


def test_webhook_dispatcher_thread_delivers_after_the_change(ledger: Ledger) -> None:
    create_user(ledger, "owner", actor="test")
    grant(ledger, "owner", AccessRole.VIEWER, actor="test")
    dispatch_events(ledger)
    with receiving() as receiver:
        create_webhook(ledger, receiver.url, actor="test", owner="owner", kinds=["address"])
        add_prefix(ledger, "10.0.0.0/24")
        add_address(ledger, "10.0.0.7")  # returns before anything is sent
        assert receiver.requests == []
        dispatcher = WebhookDispatcher(ledger, tick_seconds=0.05)

        dispatcher.start()
        deadline = time.monotonic() + _DEADLINE
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        dispatcher.stop()

    assert len(receiver.requests) == 1
