"""Snapshots of the target's prior state, and undo requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_requests") as batch:
        batch.add_column(sa.Column("snapshot", sa.JSON, nullable=True))
        batch.add_column(
            sa.Column("operation", sa.String(16), nullable=False, server_default="apply")
        )
        batch.add_column(sa.Column("undo_of", sa.String(64), nullable=True))
        # "awaiting_approval" needs more than 16 characters.
        batch.alter_column(
            "status", type_=sa.String(24), existing_type=sa.String(16), existing_nullable=False
        )


def downgrade() -> None:
    raise NotImplementedError("snapshots are what undo restores from; no downgrade")
