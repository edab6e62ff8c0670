"""Evidence guards: no INSERT OR REPLACE over the ledger, and the anchors table.

SQLite's ``INSERT OR REPLACE`` (and ``REPLACE INTO``) deletes a conflicting row
without firing DELETE triggers unless ``recursive_triggers`` is on, so the
append-only triggers of 0001 could be bypassed. A BEFORE INSERT trigger that
refuses a row whose key is already taken closes it: it fires before the
conflict is resolved. ``checkpoint_anchors`` (timestamps, gaps, witness posts)
is append-only like the ledger.

Revision ID: 0008_evidence_guards
Revises: 0007_request_replays
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0008_evidence_guards"
down_revision = "0007_request_replays"
branch_labels = None
depends_on = None

KEYS = {
    "evidence_entries": ("incident_id = NEW.incident_id AND seq = NEW.seq", "hash = NEW.hash"),
    "checkpoints": ("incident_id = NEW.incident_id AND size = NEW.size",),
    "checkpoint_anchors": ("id = NEW.id",),
}


def upgrade() -> None:
    op.create_table(
        "checkpoint_anchors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("token", sa.LargeBinary, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_checkpoint_anchors_incident", "checkpoint_anchors", ["incident_id", "size"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _sqlite() -> None:
    for table, keys in KEYS.items():
        taken = " OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE {key})" for key in keys)  # noqa: S608 (constants)
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {taken} "
            f"BEGIN SELECT RAISE(ABORT, 'evidence is append-only: {table} row exists'); END"
        )
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER checkpoint_anchors_no_{verb.lower()} BEFORE {verb} "
            "ON checkpoint_anchors BEGIN SELECT RAISE(ABORT, "
            f"'evidence is append-only: {verb} on checkpoint_anchors refused'); END"
        )


def _postgresql() -> None:
    op.execute(
        "CREATE TRIGGER checkpoint_anchors_append_only BEFORE UPDATE OR DELETE "
        "ON checkpoint_anchors FOR EACH ROW EXECUTE FUNCTION blastwall_append_only()"
    )
    op.execute(
        "CREATE TRIGGER checkpoint_anchors_no_truncate BEFORE TRUNCATE ON checkpoint_anchors "
        "FOR EACH STATEMENT EXECUTE FUNCTION blastwall_append_only()"
    )


def downgrade() -> None:
    raise NotImplementedError("evidence is never dropped by a downgrade")
