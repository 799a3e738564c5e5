"""The event stream: every committed change, in commit order, for those allowed to see it.

The audit log is the event log. Its ids grow in commit order (``Transaction.write_audit`` takes
the audit lock on PostgreSQL), so "everything after id N" is a complete resume point: a browser
that reconnects with the last id it saw misses nothing, whatever happened meanwhile, and a
change made by another server process or the CLI reaches the stream too, by the short poll.
Within this process, :class:`CommitSignal` wakes the waiting streams the moment a change commits;
on PostgreSQL, :func:`listen_for_changes` wakes them as soon as another process commits.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from ipledger.core.permissions import Principal
from ipledger.service.audit import change_record, hidden_kinds
from ipledger.service.ledger import Ledger, groups_of_change
from ipledger.service.records import ChangeRecord
from ipledger.store import catalog
from ipledger.store.notify import ChangeListener

__all__ = [
    "ChangeListener",
    "CommitSignal",
    "EventFilter",
    "Subscriber",
    "changes_after",
    "latest_change_id",
    "listen_for_changes",
]

PAGE = 500


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which changes a subscriber wants; an empty set or None lets everything through."""

    kinds: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()
    object_id: int | None = None
    group: str | None = None  # a group path: changes of objects in its subtree

    def matches(self, change: ChangeRecord) -> bool:
        if self.kinds and change.object_kind not in self.kinds:
            return False
        if self.actions and change.action not in self.actions:
            return False
        if self.object_id is not None and change.object_id != self.object_id:
            return False
        if self.group is None:
            return True
        groups = groups_of_change(change.object_kind, change.before, change.after)
        return any(
            path is not None and (path == self.group or path.startswith(self.group + "/")) for path in groups
        )


def changes_after(
    ledger: Ledger, after_id: int, *, viewer: Principal | None, limit: int = PAGE
) -> list[ChangeRecord]:
    """The changes with an id above ``after_id``, oldest first, that ``viewer`` may see."""
    with ledger.reading() as session:
        rows = catalog.list_changes_after(session, after_id, hidden_kinds=hidden_kinds(viewer), limit=limit)
        return [change_record(row) for row in rows]


def latest_change_id(ledger: Ledger) -> int:
    with ledger.reading() as session:
        return catalog.latest_change_id(session)


class CommitSignal:
    """Wakes the streams of this process that wait for the next change.

    ``notify`` is called from whichever thread committed; each subscriber is woken on its own
    event loop. A subscriber reads, then waits: a commit that lands between the two leaves its
    flag set, so the wait returns at once instead of missing it.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._subscribers: set[Subscriber] = set()

    def notify(self) -> None:
        with self._guard:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.wake()

    @contextmanager
    def subscribe(self) -> Iterator[Subscriber]:
        subscriber = Subscriber(asyncio.get_running_loop(), asyncio.Event())
        with self._guard:
            self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            with self._guard:
                self._subscribers.discard(subscriber)


@dataclass(eq=False, slots=True)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    flag: asyncio.Event

    def wake(self) -> None:
        with suppress(RuntimeError):  # its loop has closed, and the subscriber with it
            self.loop.call_soon_threadsafe(self.flag.set)

    async def wait(self, timeout: float) -> bool:
        """Wait for a commit since the last wait, at most ``timeout`` seconds; True if one came."""
        try:
            await asyncio.wait_for(self.flag.wait(), timeout)
        except TimeoutError:
            return False
        self.flag.clear()
        return True


def listen_for_changes(ledger: Ledger, callback: Callable[[], None]) -> ChangeListener | None:
    """Call ``callback`` whenever another process commits changes to this ledger (PostgreSQL:
    LISTEN/NOTIFY); None on SQLite, where one process serves the file. Start and stop it."""
    if ledger.dialect != "postgresql":
        return None
    return ChangeListener(ledger.engine.url.render_as_string(hide_password=False), callback)
