"""Teams conversation references, for proactive messages (issue 11).

Revision ID: 0009_teams_conversations
Revises: 0008_evidence_guards
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0009_teams_conversations"
down_revision = "0008_evidence_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("service_url", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.Text, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.Text, nullable=False),
        sa.Column("user_aad", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("teams_conversations")
