"""The backup and restore of docs/backup.md, run as documented: `ipledger export` then `ipledger
import` into a fresh database (both engines), and pg_dump then pg_restore or psql (PostgreSQL);
the restored ledger exports the same document and goes on allocating."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, make_url, select

from ipledger.service.ledger import Ledger
from ipledger.service.transfer import export_ledger
from ipledger.store.database import database_url_for_path
from ipledger.store.models import Change, User
from tests.service.factories import add_address, add_prefix, add_range

ROOT = Path(__file__).resolve().parents[2]
ACTOR = "backup-test"


def _ipledger(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ipledger", "--database", url, "--actor", ACTOR, *args],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _fill(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/16", description="office")
    add_prefix(ledger, "10.0.1.0/24", role="pod")
    add_prefix(ledger, "2001:db8::/48")
    add_range(ledger, "10.0.2.10-10.0.2.20")
    add_address(ledger, "10.0.1.5", holder_name="web-1", dns_name="web-1.example.net")
    add_address(ledger, "2001:db8::1", holder_name="gateway")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_url(ledger_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same engine, not migrated yet."""
    if ledger_url.startswith("sqlite"):
        yield database_url_for_path(tmp_path / "restored.db")
        return
    url = make_url(ledger_url)
    name = f"{url.database}_restored"
    with psycopg.connect(_libpq(ledger_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(ledger_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _same_after_restore(original: Ledger, restored_url: str) -> Ledger:
    restored = Ledger.open(restored_url)
    assert export_ledger(restored) == export_ledger(original)
    return restored


def test_backup_json_export_restores_into_a_fresh_database(
    ledger: Ledger, ledger_url: str, fresh_url: str, tmp_path: Path
) -> None:
    _fill(ledger)
    backup = tmp_path / "backup.json"

    _ipledger(ledger_url, "export", str(backup))
    _ipledger(fresh_url, "import", str(backup))

    assert json.loads(backup.read_text())["prefixes"]
    restored = _same_after_restore(ledger, fresh_url)
    try:
        add_prefix(restored, "10.0.3.0/24")  # and it goes on
    finally:
        restored.close()


@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("form", ["custom", "plain"])
def test_backup_pg_dump_restores_everything_into_a_fresh_database(
    ledger: Ledger, ledger_url: str, fresh_url: str, tmp_path: Path, form: str
) -> None:
    if shutil.which("pg_dump") is None:
        message = "pg_dump is not installed (Debian's postgresql-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: the backup test must run")
        pytest.skip(message)
    _fill(ledger)
    backup = tmp_path / f"backup.{form}"

    subprocess.run(["pg_dump", f"--format={form}", f"--file={backup}", _libpq(ledger_url)], check=True)
    if form == "custom":
        command = [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={_libpq(fresh_url)}",
            str(backup),
        ]
    else:
        command = ["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "-f", str(backup), _libpq(fresh_url)]
    subprocess.run(command, check=True, capture_output=True)

    restored = _same_after_restore(ledger, fresh_url)
    try:
        assert _counts(restored) == _counts(ledger)
        # The id sequences came back too: new rows do not collide with restored ones.
        add_prefix(restored, "10.0.3.0/24")
        add_address(restored, "10.0.1.6")
    finally:
        restored.close()


def _counts(ledger: Ledger) -> dict[str, Any]:
    with ledger.reading() as session:
        return {
            "changes": session.scalar(select(func.count()).select_from(Change)),
            "last change": session.scalar(select(func.max(Change.id))),
            "users": session.scalar(select(func.count()).select_from(User)),
        }
