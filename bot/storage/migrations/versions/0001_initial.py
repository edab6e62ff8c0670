"""Incidents, identities, counters, action requests, append-only evidence and checkpoints.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("evidence_entries", "checkpoints")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("playbook", sa.String(128), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("declared_at", UTCDateTime, nullable=False),
        sa.Column("declared_by", sa.JSON, nullable=False),
        sa.Column("room", sa.JSON, nullable=True),
        sa.Column("room_key", sa.String(200), nullable=True, index=True, unique=True),
        sa.Column("card", sa.JSON, nullable=True),
        sa.Column("identities", sa.JSON, nullable=False),
        sa.Column("commanders", sa.JSON, nullable=False),
        sa.Column("responders", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "incident_identities",
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("identity_key", sa.String(512), primary_key=True, index=True),
    )
    op.create_table(
        "incident_counters",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "action_requests",
        sa.Column("idempotency_key", sa.String(64), primary_key=True),
        sa.Column(
            "incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False, index=True
        ),
        sa.Column("action_id", sa.String(128), nullable=False),
        sa.Column("target_key", sa.String(512), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("actor", sa.JSON, nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("outcome", sa.JSON, nullable=True),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "evidence_entries",
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("size", sa.Integer, primary_key=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_append_only()
    else:
        _sqlite_append_only()


def _sqlite_append_only() -> None:
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'evidence is append-only: {verb} on {table} "
                "refused'); END"
            )


def _postgresql_append_only() -> None:
    op.execute(
        "CREATE FUNCTION blastwall_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'evidence is append-only: % on % refused', TG_OP, TG_TABLE_NAME; "
        "END; $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION blastwall_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION blastwall_append_only()"
        )


def downgrade() -> None:
    raise NotImplementedError("evidence is never dropped by a downgrade")
