"""Ledger heads: each incident's last entry and Merkle frontier (issue 17).

A working table, not evidence: the runtime role updates it with every append
(its grants come from ``bot.storage.runtime_role``). Incidents whose ledger
began before this migration have no row; the first checkpoint after it
rebuilds theirs from the entries, once.

Revision ID: 0012_ledger
Revises: 0011_activity
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0012_ledger"
down_revision = "0011_activity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_heads",
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("last_when", sa.String(40), nullable=False),
        sa.Column("signed_size", sa.Integer, nullable=False),
        sa.Column("signed", sa.LargeBinary, nullable=False),
        sa.Column("pending", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_heads")
