"""Cluster findings by address: whois names the CNI record that still holds a stranded address.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cluster_findings") as batch:
        batch.create_index("ix_cluster_findings_address", ["address"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cluster_findings") as batch:
        batch.drop_index("ix_cluster_findings_address")
