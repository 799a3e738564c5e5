"""Periodic cluster syncs: the kubeconfig, context and interval the server syncs a cluster with.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.add_column(sa.Column("sync_kubeconfig", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("sync_context", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("sync_every_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.drop_column("sync_every_minutes")
        batch.drop_column("sync_context")
        batch.drop_column("sync_kubeconfig")
