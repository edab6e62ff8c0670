"""Teams conversation references in the database (see bot/adapters/teams/references.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.adapters.teams.references import ConversationRef
from bot.core.ports import Clock
from bot.storage.models import Base, UTCDateTime


class TeamsConversationRow(Base):
    __tablename__ = "teams_conversations"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    service_url: Mapped[str] = mapped_column(Text)
    conversation_id: Mapped[str] = mapped_column(Text, default="")
    tenant_id: Mapped[str] = mapped_column(String(64), default="")
    team_id: Mapped[str] = mapped_column(Text, default="")
    user_aad: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SqlConversationRefs:
    """Shared by every replica: the one that learned a reference need not be the one
    that later writes to that person."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def remember(self, ref: ConversationRef) -> None:
        async with self._sessions() as session, session.begin():
            await session.merge(TeamsConversationRow(**asdict(ref), updated_at=self._clock.now()))

    async def get(self, key: str) -> ConversationRef | None:
        async with self._sessions() as session:
            row = await session.get(TeamsConversationRow, key)
        return _ref(row) if row is not None else None

    async def any_service_url(self) -> str | None:
        async with self._sessions() as session:
            found = await session.execute(
                select(TeamsConversationRow.service_url)
                .order_by(TeamsConversationRow.updated_at.desc())
                .limit(1)
            )
        return found.scalar_one_or_none()


def _ref(row: TeamsConversationRow) -> ConversationRef:
    return ConversationRef(
        key=row.key,
        kind=row.kind,
        service_url=row.service_url,
        conversation_id=row.conversation_id,
        tenant_id=row.tenant_id,
        team_id=row.team_id,
        user_aad=row.user_aad,
        user_id=row.user_id,
        name=row.name,
    )
