"""Approvals, escalation timers, commander acknowledgement and handoffs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column(
                "commander_acknowledged", sa.Boolean, nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("pending_handoff", sa.JSON, nullable=True))
    with op.batch_alter_table("action_requests") as batch:
        batch.add_column(sa.Column("plan_hash", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("approvals_needed", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("expires_at", UTCDateTime, nullable=True))
    op.create_table(
        "approvals",
        sa.Column(
            "request_key",
            sa.String(64),
            sa.ForeignKey("action_requests.idempotency_key"),
            primary_key=True,
        ),
        sa.Column("approver_principal", sa.String(200), primary_key=True),
        sa.Column("approver", sa.JSON, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("plan_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "timers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fired_at", UTCDateTime, nullable=True),
        sa.Column("lateness_seconds", sa.Float, nullable=True),
        sa.Column("fired_by", sa.String(200), nullable=True),
        sa.UniqueConstraint("incident_id", "kind", "subject", "generation", "step"),
    )
    op.create_index("ix_timers_due", "timers", ["state", "due_at"])


def downgrade() -> None:
    raise NotImplementedError("approvals and timers are evidence too; no downgrade")
