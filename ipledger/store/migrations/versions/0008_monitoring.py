"""Monitoring: utilization history, findings that stay open, webhook subscriptions and deliveries.

Prefixes gain ``finding_level``, the level of their threshold finding (ok for all of them now:
the server's first periodic sample opens the findings of prefixes already over a threshold).
The audit log gains ``dispatched``: entries already there count as dispatched, so that the first
webhook subscription does not receive the whole history; new ones start undispatched.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_COUNT = sa.String(length=40)


def upgrade() -> None:
    with op.batch_alter_table("prefixes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("finding_level", sa.String(length=20), nullable=False, server_default="ok")
        )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.alter_column("dispatched", server_default=sa.false())
        batch_op.create_index(
            "ix_changes_undispatched",
            ["id"],
            unique=False,
            sqlite_where=sa.text("dispatched = 0"),
            postgresql_where=sa.text("NOT dispatched"),
        )
    op.create_table(
        "utilization_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("used", _COUNT, nullable=False),
        sa.Column("total", _COUNT, nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_utilization_samples")),
    )
    op.create_index(
        "ix_utilization_samples_subject_at", "utilization_samples", ["subject_kind", "subject_id", "at"]
    )
    op.create_table(
        "watch_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("opened_at", _TIME, nullable=False),
        sa.Column("changed_at", _TIME, nullable=False),
        sa.Column("closed_at", _TIME, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_at", _TIME, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_watch_findings_group_id_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_findings")),
    )
    op.create_index("ix_watch_findings_group_id", "watch_findings", ["group_id"])
    op.create_index(
        "ix_watch_findings_subject", "watch_findings", ["kind", "subject_kind", "subject_id", "closed_at"]
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("min_severity", sa.String(length=20), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_webhook_subscriptions_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_webhook_subscriptions_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index("ix_webhook_subscriptions_group_id", "webhook_subscriptions", ["group_id"])
    op.create_index("ix_webhook_subscriptions_owner_id", "webhook_subscriptions", ["owner_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_deliveries_subscription", "webhook_deliveries", ["subscription_id", "id"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_table("watch_findings")
    op.drop_table("utilization_samples")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_undispatched")
        batch_op.drop_column("dispatched")
    with op.batch_alter_table("prefixes", schema=None) as batch_op:
        batch_op.drop_column("finding_level")
