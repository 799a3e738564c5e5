"""Clusters on the AWS VPC CNI: the instance type's ENIs, IPv4 addresses per ENI and vCPUs, so
that the max-pods formula can be checked against the cluster's max pods. Existing clusters
have none of them (the check is skipped until they are set).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.add_column(sa.Column("eni_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ips_per_eni", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("vcpus", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.drop_column("vcpus")
        batch.drop_column("ips_per_eni")
        batch.drop_column("eni_count")
