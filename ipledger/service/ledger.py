"""The ledger handle and its unit of work: one transaction per use case, audit entry included.

A use case opens ``ledger.transaction(actor)``, reads and writes through its session, and
records each change with ``tx.record(...)``; the audit entries commit with the change or not at
all. Events are handed to listeners only after the commit succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ipledger.core.permissions import Principal
from ipledger.service.batching import Batches
from ipledger.service.watch import watch_transaction
from ipledger.store import catalog
from ipledger.store import watch as watch_store
from ipledger.store.bulk_insert import insert_rows
from ipledger.store.database import Database, Engine, Session, database_url_for_path
from ipledger.store.locks import lock_audit_log
from ipledger.store.models import Change
from ipledger.store.notify import notify_changes

__all__ = ["Actor", "Event", "Ledger", "Transaction", "database_url_for_path", "groups_of_change"]


@dataclass(frozen=True, slots=True)
class Event:
    """What changed, published after the commit that made it."""

    action: str
    object_kind: str
    object_id: int | None
    label: str
    actor: str
    at: datetime


Actor = str | Principal  # who acts: a name (the CLI, the server's own jobs) or a signed-in principal

_AUDIT_CHUNK = 10_000

# Changes to these need a global admin; everything else needs editor on the object's group(s).
_ADMIN_KINDS = frozenset({"space", "role", "user", "token", "grant", "ledger", "csv", "webhook"})


@dataclass(slots=True)
class Transaction:
    """An open unit of work: the session, who acts, the time of the change, and its audit entries.

    When a principal acts (a request of the API), every change is authorised where it is
    recorded: the audit entry names the object's group before and after the change, and the
    principal must be allowed to write in both (see ``core.permissions``). A refused change
    raises ``PermissionDeniedError`` and the whole transaction rolls back.
    """

    session: Session
    actor: str
    now: datetime
    events: list[Event] = field(default_factory=list)
    principal: Principal | None = None
    # The audit rows of ``events``, written in one statement when the transaction ends: through
    # the ORM each cost about a third of an allocation.
    audit_rows: list[dict[str, Any]] = field(default_factory=list)

    def act_as(self, actor: Actor) -> None:
        """Record the following changes for ``actor`` (a batch serves several requests)."""
        self.principal = actor if isinstance(actor, Principal) else None
        self.actor = actor.actor if isinstance(actor, Principal) else actor

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A savepoint: when the block fails, its changes, events and notes of changed
        utilization go, and the error goes on (a batch serves the next request)."""
        mark = self.mark()
        noted = watch_store.noted_changes(self.session)
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self.forget_since(mark)
            watch_store.restore_notes(self.session, noted)
            raise

    def authorize(self, kind: str, *groups: str | None) -> None:
        """Refuse a change of ``kind`` in these groups (none given: objects without a group)."""
        if self.principal is None:
            return
        if kind in _ADMIN_KINDS:
            self.principal.require_administer()
        else:
            self.principal.require_write(*(groups or (None,)))

    def record(
        self,
        action: str,
        kind: str,
        object_id: int | None,
        label: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.authorize(kind, *groups_of_change(kind, before, after))
        self.record_authorized(action, kind, object_id, label, before=before, after=after)

    def record_authorized(
        self,
        action: str,
        kind: str,
        object_id: int | None,
        label: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """:meth:`record` of a change whose objects the caller authorised one by one (a scan
        touching many records writes one entry for all of them)."""
        self.audit_rows.append(
            {
                "at": self.now,
                "actor": self.actor,
                "action": action,
                "object_kind": kind,
                "object_id": object_id,
                "object_label": label,
                "before": before,
                "after": after,
                "dispatched": False,
            }
        )
        self.events.append(Event(action, kind, object_id, label, self.actor, self.now))

    def record_imported(self, rows: list[dict[str, Any]]) -> None:
        """Audit entries of a bulk import, already built as rows (no event each: too many)."""
        self.audit_rows.extend(rows)

    def mark(self) -> tuple[int, int]:
        """A point to :meth:`forget_since` when a savepoint after it rolls back."""
        return len(self.events), len(self.audit_rows)

    def forget_since(self, mark: tuple[int, int]) -> None:
        """Drop the changes recorded after ``mark``: their savepoint rolled back."""
        del self.events[mark[0] :]
        del self.audit_rows[mark[1] :]

    def write_audit(self) -> int:
        """Write the audit entries recorded so far (the transaction does it just before it
        commits, in id order with every other transaction's); returns how many."""
        written = len(self.audit_rows)
        if written:
            lock_audit_log(self.session)
            for start in range(0, written, _AUDIT_CHUNK):
                insert_rows(self.session, Change, self.audit_rows[start : start + _AUDIT_CHUNK])
            # Delivered on commit, to the event streams of every server process (PostgreSQL).
            notify_changes(self.session)
        self.audit_rows = []
        return written


def groups_of_change(
    kind: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[str | None, ...]:
    """The groups a change touches, from its audit snapshots (a group is named by its path)."""
    key = "path" if kind == "group" else "group"
    found = []
    for snapshot in (before, after):
        if snapshot is not None and key in snapshot and snapshot[key] not in found:
            found.append(snapshot[key])
    return tuple(found)


class Ledger:
    """The ledger on one database. Create with :meth:`open`, which also migrates the schema."""

    def __init__(self, database: Database | Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        """``clock`` gives the time of each change (tests pass their own)."""
        self.database = database if isinstance(database, Database) else Database(database)
        self.dialect = database.dialect
        self._clock = clock or (lambda: datetime.now(UTC))
        self.listeners: list[Callable[[Event], None]] = []
        # Called once after each transaction that changed something (the event stream wakes up).
        self.commit_hooks: list[Callable[[], None]] = []
        self.batches = Batches()

    @classmethod
    def open(cls, url: str) -> Ledger:
        return cls(Database.open(url))

    @property
    def engine(self) -> Engine:
        return self.database.engine

    def close(self) -> None:
        self.database.close()

    def ping(self) -> None:
        """Check that the database answers; raises ``LedgerError`` when it does not."""
        self.database.ping()

    @contextmanager
    def transaction(self, actor: Actor) -> Iterator[Transaction]:
        """A write transaction; serialised on SQLite (BEGIN IMMEDIATE), row-locked on PostgreSQL.

        Its events reach the listeners only once it has committed. Before the commit, the
        prefixes whose utilization it changed are sampled and their findings settled.
        """
        with self.database.writing() as session:
            tx = Transaction(session, "", self._clock())
            tx.act_as(actor)
            yield tx
            watch_transaction(tx)
            written = tx.write_audit()
        for event in tx.events:
            for listener in self.listeners:
                listener(event)
        if written:
            for hook in self.commit_hooks:
                hook()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session that never waits for a writer."""
        with self.database.reading() as session:
            yield session

    def space_names(self) -> list[str]:
        with self.reading() as session:
            return [space.name for space in catalog.list_spaces(session)]
