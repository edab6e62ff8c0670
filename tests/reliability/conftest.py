"""Replicas on one real database (SQLite, or PostgreSQL in the CI's second run), each
with its own injected clock, driven through the message bus.

A "fast" replica's clock runs an hour ahead. Only PostgreSQL has a clock of its own
to hold replicas to; SQLite lives on one host with one clock, so there the fast
replica's skew is zero (``SKEWABLE`` says which).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.actions import ActionOutcome
from bot.core.actors import Actor
from bot.core.commands import DeclareIncident
from bot.core.events import IncidentDeclared
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Incident, Severity
from bot.core.measures import UNMEASURED
from bot.core.playbooks import Playbook
from bot.core.ports import Metrics
from bot.service.bus import MessageBus
from bot.service.context import Services
from bot.service.handlers import build_bus
from bot.storage.unit_of_work import Database
from connectors.aws_iam.specs import SPECS
from tests.fakes.chat import RecordingNotifier
from tests.fakes.clock import FakeClock
from tests.fakes.connector import FakeConnector
from tests.fixtures_db import REDACTOR
from tests.service.conftest import PLAYBOOK, FakeSigner

KEYS = [AffectedIdentity("aws", IdentityKind.ACCESS_KEY, f"AKIAEXAMPLE{n:05d}") for n in range(6)]
IAM = Actor("slack", "UIAM")
OUTCOMES = ("action succeeded", "action failed", "action reconciled")


@dataclass
class SlowConnector(FakeConnector):
    """The first apply waits for ``release``; with ``lands_first`` the change is made
    before the wait (the call landed, its answer is slow), otherwise after it."""

    lands_first: bool = True
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        if self.reached.is_set():
            return await super().apply(action_id, target, params)
        before = self.states.get(target.key, "Active")
        if self.lands_first:
            self.states[target.key] = "Inactive"
        self.reached.set()
        await self.release.wait()
        self.states[target.key] = before
        return await super().apply(action_id, target, params)


@dataclass
class Replica:
    bus: MessageBus
    clock: FakeClock
    database: Database


@dataclass
class Cluster:
    """Replicas sharing one database and one target system."""

    url: str
    aws: SlowConnector
    chat: RecordingNotifier = field(default_factory=RecordingNotifier)
    opened: list[Database] = field(default_factory=list)

    def replica(
        self,
        *,
        ahead: timedelta = timedelta(0),
        lease_s: float = 30.0,
        clock: FakeClock | None = None,
        playbooks: Mapping[str, Playbook] | None = None,
        metrics: Metrics = UNMEASURED,
    ) -> Replica:
        database = Database(self.url, redact=REDACTOR.redact_body)
        self.opened.append(database)
        clock = clock or FakeClock(datetime.now(UTC) + ahead)
        services = Services(
            uow=database.uow,
            clock=clock,
            playbooks={PLAYBOOK.name: PLAYBOOK} if playbooks is None else playbooks,
            catalogue={s.id: s for s in SPECS},
            connectors={"aws_iam": self.aws},
            notifiers={"slack": self.chat},
            default_platform="slack",
            signer=FakeSigner(),
            call_lease_s=lease_s,
            metrics=metrics,
        )
        return Replica(build_bus(services), clock, database)

    async def entries(self, incident_id: str) -> list[dict[str, object]]:
        async with self.opened[0].uow() as uow:
            lines = await uow.incidents.evidence_lines(incident_id)
        return [json.loads(line) for line in lines]

    async def incident(self, incident_id: str) -> Incident:
        async with self.opened[0].uow() as uow:
            found = await uow.incidents.get(incident_id)
        assert found is not None
        return found


@pytest.fixture
def skewable(dialect: str) -> bool:
    """Whether the database has a clock of its own that a replica can be off from."""
    return dialect == "postgresql"


@pytest.fixture
def an_hour_fast(skewable: bool) -> timedelta:
    return timedelta(hours=1) if skewable else timedelta(0)


@pytest.fixture
async def cluster(database: Database, database_url: str) -> AsyncIterator[Cluster]:
    made = Cluster(database_url, SlowConnector("aws_iam", SPECS))
    try:
        yield made
    finally:
        for opened in made.opened:
            await opened.dispose()


async def declare(replica: Replica) -> str:
    (event,) = await replica.bus.handle(
        DeclareIncident(
            title="Keys on GitHub",
            source="scanner",
            declared_by=Actor("alert", "scanner"),
            identities=tuple(KEYS),
            severity=Severity.SEV2,
        )
    )
    assert isinstance(event, IncidentDeclared)
    return event.incident_id


def whens(entries: list[dict[str, object]]) -> list[str]:
    return [str(e["when"]) for e in entries]


def count(entries: list[dict[str, object]], pick: Callable[[str], bool]) -> int:
    return sum(1 for e in entries if pick(str(e["what"])))
