"""The migrations: they build the schema the models describe, seed the defaults, and keep data on re-run."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from ipledger.core.vocabulary import DEFAULT_ROLES
from ipledger.service.ledger import Ledger
from ipledger.store.models import Base, Role, Space
from tests.service.factories import add_prefix, prefix_of


def test_migration_schema_matches_models(ledger: Ledger) -> None:
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migration_seeds_roles_and_global_space(ledger: Ledger) -> None:
    with ledger.reading() as session:
        roles = sorted(session.scalars(select(Role.name)))
        spaces = list(session.scalars(select(Space.name)))

    assert (roles, spaces) == (sorted(DEFAULT_ROLES), ["global"])


def test_migration_rerun_keeps_data(ledger: Ledger, ledger_url: str) -> None:
    record = add_prefix(ledger, "10.0.0.0/24", description="kept")

    reopened = Ledger.open(ledger_url)
    try:
        assert prefix_of(reopened, "10.0.0.0/24") == record
    finally:
        reopened.close()
