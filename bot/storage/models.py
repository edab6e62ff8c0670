"""The tables. Evidence and checkpoints are append-only: the database refuses
UPDATE and DELETE on them (triggers in the migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores none) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    environment: Mapped[str] = mapped_column(String(32))
    playbook: Mapped[str] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime]
    declared_by: Mapped[dict[str, Any]]
    room: Mapped[dict[str, Any] | None]
    room_key: Mapped[str | None] = mapped_column(String(200), index=True, unique=True)
    card: Mapped[dict[str, Any] | None]
    identities: Mapped[list[Any]]
    commanders: Mapped[list[Any]]
    responders: Mapped[list[Any]]
    commander_acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_handoff: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime]


class IncidentIdentityRow(Base):
    """Which incident holds which identity, so a further alert finds its incident."""

    __tablename__ = "incident_identities"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    identity_key: Mapped[str] = mapped_column(String(512), primary_key=True, index=True)


class IncidentCounterRow(Base):
    __tablename__ = "incident_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class ActionRequestRow(Base):
    __tablename__ = "action_requests"

    idempotency_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    action_id: Mapped[str] = mapped_column(String(128))
    target_key: Mapped[str] = mapped_column(String(512))
    params: Mapped[dict[str, Any]]
    actor: Mapped[dict[str, Any]]
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), index=True)
    outcome: Mapped[dict[str, Any] | None]
    plan_hash: Mapped[str | None] = mapped_column(String(64))
    approvals_needed: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None]
    snapshot: Mapped[dict[str, Any] | None]
    operation: Mapped[str] = mapped_column(String(16), default="apply")
    undo_of: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The lease of a call in flight (migration 0005_call_leases): its holder renews
    # it while the connector call runs; the reconciler waits until it lapses.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]


class ApprovalRow(Base):
    """One person's decision on one request: the key makes one person count once."""

    __tablename__ = "approvals"

    request_key: Mapped[str] = mapped_column(
        ForeignKey("action_requests.idempotency_key"), primary_key=True
    )
    approver_principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    approver: Mapped[dict[str, Any]]
    decision: Mapped[str] = mapped_column(String(16))
    plan_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime]


class NoticeRow(Base):
    """The outbox: a notice commits with its cause, and is marked once it was sent."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)


class TimerRow(Base):
    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "subject", "generation", "step"),
        Index("ix_timers_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    generation: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    fired_at: Mapped[datetime | None]
    lateness_seconds: Mapped[float | None] = mapped_column(Float)
    fired_by: Mapped[str | None] = mapped_column(String(200))


class EvidenceEntryRow(Base):
    __tablename__ = "evidence_entries"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    line: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class CheckpointRow(Base):
    __tablename__ = "checkpoints"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, primary_key=True)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class LedgerHeadRow(Base):
    """Where an incident's ledger stands (``bot.core.ledger.LedgerHead``): its last entry
    and its Merkle frontier, so appending and signing read no entry back. Not
    evidence: it is moved on with every append, and is only trusted while its
    ``last_hash`` is the last stored entry's (migration 0012_ledger)."""

    __tablename__ = "ledger_heads"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    last_when: Mapped[str] = mapped_column(String(40))
    signed_size: Mapped[int] = mapped_column(Integer)
    signed: Mapped[bytes] = mapped_column(LargeBinary)  # frontier hashes of [0, signed_size)
    pending: Mapped[bytes] = mapped_column(LargeBinary)  # compact range [signed_size, size)
    updated_at: Mapped[datetime]


class ConsoleLinkRow(Base):
    """A one-time sign-in link, by the SHA-256 of its token; used at most once."""

    __tablename__ = "console_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class ConsoleSessionRow(Base):
    """A signed-in console session, by the SHA-256 of its id; ended at logout."""

    __tablename__ = "console_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]


class RequestReplayRow(Base):
    """A signed request (or an Events API event id) already taken: the primary key
    turns a replay on any replica into a conflict. Rows outlive Slack's five-minute
    signature window by a margin, then are pruned."""

    __tablename__ = "request_replays"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AnchorRow(Base):
    """What vouches for a checkpoint from outside Blastwall, insert-only like the ledger.

    ``rfc3161``: a TSA's token over the note; ``tsa_gap``: a timestamp that could
    not be had (the TSA was down), retried later; ``witness``: the checkpoint's
    origin, size and root were posted into the incident's channel.
    """

    __tablename__ = "checkpoint_anchors"
    __table_args__ = (Index("ix_checkpoint_anchors_incident", "incident_id", "size"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    token: Mapped[bytes | None] = mapped_column(LargeBinary)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class TranscriptMessageRow(Base):
    """A room message (or its edit or deletion) already in the ledger, and the entry it
    became: the unique key makes a retry, a replica or a backfill record it only once.
    Insert-only, like the ledger it indexes."""

    __tablename__ = "transcript_messages"
    __table_args__ = (
        UniqueConstraint(
            "incident_id", "message_id", "kind", "change_id", name="uq_transcript_message"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    message_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    change_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)


class ActivityCollectionRow(Base):
    """Identity activity to collect (issue 13): the key makes each incident, identity
    and phase collected once; the claim (holder, expiry) keeps replicas apart, and
    ``done_at`` is set in the transaction that writes the entries."""

    __tablename__ = "activity_collections"
    __table_args__ = (Index("ix_activity_collections_pending", "done_at", "claim_expires_at"),)

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    identity_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    phase: Mapped[str] = mapped_column(String(16), primary_key=True)
    identity: Mapped[dict[str, Any]]
    since: Mapped[datetime]
    until: Mapped[datetime]
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
