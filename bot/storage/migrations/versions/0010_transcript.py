"""The channel's transcript: one row per room message recorded (issue 13).

Revision ID: 0010_transcript
Revises: 0009_teams_conversations
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_transcript"
down_revision = "0009_teams_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcript_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("change_id", sa.String(64), nullable=False),
        sa.Column("thread_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.UniqueConstraint(
            "incident_id", "message_id", "kind", "change_id", name="uq_transcript_message"
        ),
    )


def downgrade() -> None:
    op.drop_table("transcript_messages")
