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
from ipledger.store.database import Database, Engine, Session, database_url_for_path
from ipledger.store.models import Change

__all__ = ["Actor", "Event", "Ledger", "Transaction", "database_url_for_path"]


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

    def act_as(self, actor: Actor) -> None:
        """Record the following changes for ``actor`` (a batch serves several requests)."""
        self.principal = actor if isinstance(actor, Principal) else None
        self.actor = actor.actor if isinstance(actor, Principal) else actor

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A savepoint: when the block fails, its changes, events and notes of changed
        utilization go, and the error goes on (a batch serves the next request)."""
        published = len(self.events)
        noted = watch_store.noted_changes(self.session)
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            del self.events[published:]
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
        self.authorize(kind, *_groups_of(kind, before, after))
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
        self.session.add(
            Change(
                at=self.now,
                actor=self.actor,
                action=action,
                object_kind=kind,
                object_id=object_id,
                object_label=label,
                before=before,
                after=after,
            )
        )
        self.events.append(Event(action, kind, object_id, label, self.actor, self.now))


def _groups_of(
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
        self.batches = Batches()

    @classmethod
    def open(cls, url: str) -> Ledger:
        return cls(Database.open(url))

    @property
    def engine(self) -> Engine:
        return self.database.engine

    def close(self) -> None:
        self.database.close()

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
        for event in tx.events:
            for listener in self.listeners:
                listener(event)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session that never waits for a writer."""
        with self.database.reading() as session:
            yield session

    def space_names(self) -> list[str]:
        with self.reading() as session:
            return [space.name for space in catalog.list_spaces(session)]
