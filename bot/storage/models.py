"""The tables. Evidence and checkpoints are append-only: the database refuses
UPDATE and DELETE on them (triggers in the migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, TypeDecorator
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
    status: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[dict[str, Any] | None]
    requested_at: Mapped[datetime]
    updated_at: Mapped[datetime]


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
