"""What every command shares: where the ledger lives, who acts, and the ledger once opened.

The database is opened lazily, on the first command that needs it, so that ``--help`` and
usage errors never touch (or create) a database file.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from ipledger.cli.errors import UsageLine
from ipledger.service.ledger import Ledger, database_url_for_path

__all__ = ["CliState", "default_actor", "pass_state"]

_DATABASE_FILE = "ipledger.db"


def default_actor() -> str:
    """``<login user>@cli``: the name the audit log records when no ``--actor`` is given."""
    try:
        user = getpass.getuser()
    except OSError:
        # No login name (e.g. a container running under an unnamed uid).
        user = "unknown"
    return f"{user}@cli"


@dataclass(slots=True)
class CliState:
    """The global options of one invocation and the ledger they lead to."""

    database: str | None
    actor: str
    _ledger: Ledger | None = field(default=None, init=False)

    def url(self) -> str:
        """The SQLAlchemy URL of ``--database``: a URL as given, or a SQLite file path."""
        if self.database is None:
            folder = _data_home() / "ipledger"
            folder.mkdir(parents=True, exist_ok=True)
            return _sqlite_url(folder / _DATABASE_FILE)
        if "://" in self.database:
            return self.database
        path = Path(self.database).expanduser()
        if path.is_dir():
            raise UsageLine(f"--database {path} is a folder; name a database file")
        if not path.parent.is_dir():
            raise UsageLine(f"--database {path}: folder {path.parent} does not exist; create it first")
        return _sqlite_url(path)

    def location(self) -> str:
        """Where the ledger is, for people: a file path, or the URL without its password."""
        url = self.url()
        if url.startswith("sqlite"):
            return url.partition(":///")[2] or url
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

    def ledger(self) -> Ledger:
        """The ledger, opened (and its schema migrated) on first use."""
        if self._ledger is None:
            self._ledger = Ledger.open(self.url())
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


def _data_home() -> Path:
    # XDG Base Directory spec: an unset or empty XDG_DATA_HOME means ~/.local/share.
    configured = os.environ.get("XDG_DATA_HOME", "")
    return Path(configured) if configured else Path.home() / ".local" / "share"


def _sqlite_url(path: Path) -> str:
    return database_url_for_path(path.resolve())


pass_state = click.make_pass_decorator(CliState)
