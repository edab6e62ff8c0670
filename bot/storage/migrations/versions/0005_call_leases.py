"""Leases on calls in flight: the reconciler settles only intents whose lease lapsed.

Revision ID: 0005_call_leases
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0005_call_leases"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("action_requests", sa.Column("lease_owner", sa.String(200), nullable=True))
    op.add_column("action_requests", sa.Column("lease_expires_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_requests") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
