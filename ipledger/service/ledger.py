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

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ipledger.core.errors import ConflictError, LedgerError
from ipledger.store.database import READ_ONLY, migrate, open_engine
from ipledger.store.models import Change, Space

__all__ = ["Event", "Ledger", "Transaction"]


@dataclass(frozen=True, slots=True)
class Event:
    """What changed, published after the commit that made it."""

    action: str
    object_kind: str
    object_id: int | None
    label: str
    actor: str
    at: datetime


@dataclass(slots=True)
class Transaction:
    """An open unit of work: the session, who acts, the time of the change, and its audit entries."""

    session: Session
    actor: str
    now: datetime
    events: list[Event] = field(default_factory=list)

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


class Ledger:
    """The ledger on one database. Create with :meth:`open`, which also migrates the schema."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.listeners: list[Callable[[Event], None]] = []

    @classmethod
    def open(cls, url: str) -> Ledger:
        engine = open_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self, actor: str) -> Iterator[Transaction]:
        """A write transaction; serialised on SQLite (BEGIN IMMEDIATE), row-locked on PostgreSQL."""
        tx = Transaction(self._sessions(), actor, self._clock())
        try:
            with tx.session.begin():
                yield tx
        except IntegrityError as exc:
            raise ConflictError(_integrity_message(exc)) from exc
        except OperationalError as exc:
            raise LedgerError(f"database error: {exc.orig}") from exc
        finally:
            tx.session.close()
        for event in tx.events:
            for listener in self.listeners:
                listener(event)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session that never waits for a writer."""
        session = self._sessions(bind=self.engine.execution_options(**{READ_ONLY: True}))
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def space_names(self) -> list[str]:
        with self.reading() as session:
            return list(session.scalars(select(Space.name).order_by(Space.name)))


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0]
    return f"the change collides with an existing object ({text})"
