"""Opening the ledger's database: SQLite (a file, WAL mode) by default, PostgreSQL by URL.

On SQLite every write transaction starts with ``BEGIN IMMEDIATE``, which takes the write lock up
front: two processes allocating at once then queue instead of both reading the same free space.
Read-only work asks for a plain deferred ``BEGIN`` so it never waits for a writer (WAL).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ipledger.core.errors import ConflictError, InvalidInputError, LedgerError

__all__ = ["READ_ONLY", "Database", "Engine", "Session", "database_url_for_path", "migrate", "open_engine"]

READ_ONLY = "ipledger_read_only"
_MIGRATIONS = Path(__file__).with_name("migrations")
_BUSY_TIMEOUT_SECONDS = 60
_CONNECT_TIMEOUT_SECONDS = 10


def database_url_for_path(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def open_engine(url: str) -> Engine:
    """An engine for ``url``: ``sqlite+pysqlite:///path`` or ``postgresql+psycopg://...``.

    Raises:
        InvalidInputError: the URL names an engine other than SQLite or PostgreSQL.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_SECONDS})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        # Pre-ping: a connection left from before a restart of PostgreSQL is replaced, not used.
        return create_engine(
            url, pool_pre_ping=True, connect_args={"connect_timeout": _CONNECT_TIMEOUT_SECONDS}
        )
    raise InvalidInputError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so that it can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of page cache (the default is 2 MiB): bulk loads touch every index at once.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine) -> None:
    """Create the schema or bring it up to the newest migration; never loses data."""
    # Imported here: alembic is only needed when opening a database, not for `--help`.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """Sessions on one engine: write transactions that turn database errors into domain errors,
    and read-only ones that never wait for a writer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._reader = engine.execution_options(**{READ_ONLY: True})
        self._writer_lock = threading.Lock()

    @classmethod
    def open(cls, url: str) -> Database:
        """Open the database at ``url`` and bring its schema up to date.

        Raises:
            LedgerError: it cannot be reached, is not a database, or cannot be migrated.
        """
        engine = open_engine(url)
        try:
            migrate(engine)
        except (DatabaseError, OperationalError) as exc:
            engine.dispose()
            raise LedgerError(
                f"cannot open the database {_safe(url)}: {str(exc.orig).splitlines()[0]}"
            ) from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Run ``SELECT 1``, to tell whether the database answers.

        Raises:
            LedgerError: it does not (down, unreachable, or refusing connections).
        """
        try:
            # Read-only: on SQLite a plain BEGIN, which never waits for a writer.
            with self._reader.connect() as connection:
                if self.dialect == "postgresql":
                    connection.exec_driver_sql("SET LOCAL statement_timeout = 2000")
                connection.exec_driver_sql("SELECT 1")
        except DatabaseError as exc:
            raise LedgerError(f"database unavailable: {str(exc.orig).splitlines()[0]}") from exc

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction, committed when the block ends without an error.

        Raises:
            ConflictError: a unique constraint refused the change (the last guard against races).
            LedgerError: the database failed (locked for too long, connection lost, ...).
        """
        session = self._sessions()
        # SQLite admits one writer at a time anyway; queueing this process's writers on a lock
        # spares them SQLite's sleep-and-retry busy handler, which stretches waits far beyond need.
        writer_lock = self._writer_lock if self.dialect == "sqlite" else nullcontext()
        try:
            with writer_lock, session.begin():
                yield session
        except IntegrityError as exc:
            text = str(exc.orig).splitlines()[0]
            raise ConflictError(f"the change collides with an existing object ({text})") from exc
        except DataError as exc:
            # A value the database cannot hold (a number beyond 64 bits on PostgreSQL): bad input.
            raise InvalidInputError(f"a value is out of range: {str(exc.orig).splitlines()[0]}") from exc
        except DatabaseError as exc:
            raise _database_error(exc) from exc
        finally:
            session.close()

    @contextmanager
    def looking_up(self) -> Iterator[Connection]:
        """A read-only connection without an ORM session, for the lookup every request makes
        (the session's machinery costs more than the lookup itself)."""
        try:
            with self._reader.connect() as connection, connection.begin():
                yield connection
        except DatabaseError as exc:
            raise _database_error(exc) from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self._sessions(bind=self._reader)
        try:
            with session.begin():
                yield session
        except DataError as exc:
            # A value the database cannot hold (a number beyond 64 bits on PostgreSQL): bad input.
            raise InvalidInputError(f"a value is out of range: {str(exc.orig).splitlines()[0]}") from exc
        except DatabaseError as exc:
            raise _database_error(exc) from exc
        finally:
            session.close()


def _database_error(exc: DatabaseError) -> LedgerError:
    """The domain error of a failed statement; a lost or refused connection (PostgreSQL
    restarting, say) says that the database is unavailable."""
    first = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
    if exc.connection_invalidated or _is_connection_error(exc):
        return LedgerError(f"database unavailable: {first}")
    return LedgerError(f"database error: {first}")


def _is_connection_error(exc: DatabaseError) -> bool:
    # SQLSTATE class 08 (connection exception) and 57P0x (the server shutting down or restarting).
    state = getattr(exc.orig, "sqlstate", None)
    return isinstance(exc, OperationalError) and (state is None or state.startswith(("08", "57P")))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, separator, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not separator or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
