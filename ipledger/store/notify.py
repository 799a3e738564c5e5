"""Telling the other server processes on one PostgreSQL database that changes committed.

A transaction that writes audit entries also sends ``NOTIFY ipledger_changes`` (PostgreSQL
delivers it only when, and if, the transaction commits). Each server process runs one
:class:`ChangeListener`: a thread with its own autocommit connection that LISTENs on the channel
and calls back on every notification, so that the event streams of every process wake at once.
When PostgreSQL goes away the listener reconnects by itself, with a growing pause; whatever
committed meanwhile is found anyway, since the streams also poll the audit log.
On SQLite there is nothing to do: one process serves a SQLite file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

__all__ = ["APPLICATION_NAME", "CHANNEL", "ChangeListener", "notify_changes"]

CHANNEL = "ipledger_changes"
APPLICATION_NAME = "ipledger-listener"  # how the listener's connection shows in pg_stat_activity
_log = logging.getLogger("ipledger.notify")
_FIRST_PAUSE = 0.5
_LONGEST_PAUSE = 10.0


def notify_changes(session: Session) -> None:
    """Have PostgreSQL tell every listener, when this transaction commits, that changes came."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(CHANNEL, "")))


class ChangeListener:
    """A daemon thread that calls ``callback`` for every notification on :data:`CHANNEL`
    (and once after each reconnect, in case something committed while it was away)."""

    def __init__(self, url: str, callback: Callable[[], None], *, wait_seconds: float = 1.0) -> None:
        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._callback = callback
        self._wait = wait_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ipledger-change-listener", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        pause = _FIRST_PAUSE
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=5, application_name=APPLICATION_NAME
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    pause = _FIRST_PAUSE
                    self._callback()
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=self._wait, stop_after=100):
                            self._callback()
            except psycopg.Error as error:
                if self._stop.is_set():
                    return
                self.connected.clear()
                _log.warning("listening for changes failed (%s); again in %.1f s", error, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
