"""Clusters and plans; prefixes and ranges indexed by who manages them (a cluster's networks).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("ipam_mode", sa.String(length=40), nullable=False),
        sa.Column("max_pods", sa.Integer(), nullable=False),
        sa.Column("node_prefixlen", sa.Integer(), nullable=True),
        sa.Column("node_prefixlen_v6", sa.Integer(), nullable=True),
        sa.Column("expected_nodes", sa.Integer(), nullable=False),
        sa.Column("growth", sa.Float(), nullable=False),
        sa.Column("expected_services", sa.Integer(), nullable=True),
        sa.Column("dual_stack", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["space_id"], ["spaces.id"], name=op.f("fk_clusters_space_id_spaces")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_clusters_group_id_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
        sa.UniqueConstraint("name", name=op.f("uq_clusters_name")),
    )
    op.create_index(op.f("ix_clusters_group_id"), "clusters", ["group_id"])
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("cluster", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index(op.f("ix_plans_cluster"), "plans", ["cluster"])
    op.create_index(op.f("ix_plans_status"), "plans", ["status"])
    op.create_index("ix_prefixes_managed_by", "prefixes", ["managed_by"])
    op.create_index("ix_ranges_managed_by", "ranges", ["managed_by"])


def downgrade() -> None:
    op.drop_index("ix_ranges_managed_by", table_name="ranges")
    op.drop_index("ix_prefixes_managed_by", table_name="prefixes")
    op.drop_index(op.f("ix_plans_status"), table_name="plans")
    op.drop_index(op.f("ix_plans_cluster"), table_name="plans")
    op.drop_table("plans")
    op.drop_index(op.f("ix_clusters_group_id"), table_name="clusters")
    op.drop_table("clusters")
