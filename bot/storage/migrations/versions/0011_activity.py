"""Identity activity collections, each incident, identity and phase once (issue 13).

Revision ID: 0011_activity
Revises: 0010_transcript
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0011_activity"
down_revision = "0010_transcript"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_collections",
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("identity_key", sa.String(512), primary_key=True),
        sa.Column("phase", sa.String(16), primary_key=True),
        sa.Column("identity", sa.JSON, nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.Column("until", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claim_expires_at", UTCDateTime, nullable=True),
        sa.Column("done_at", UTCDateTime, nullable=True),
    )
    op.create_index(
        "ix_activity_collections_pending",
        "activity_collections",
        ["done_at", "claim_expires_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_activity_collections_pending", table_name="activity_collections")
    op.drop_table("activity_collections")
