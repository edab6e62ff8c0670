from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace

import pytest
from fastapi import FastAPI

from bot.adapters.teams.notifier import TeamsNotifier
from bot.adapters.teams.wiring import TeamsConfig, teams_door, teams_notifier
from bot.core.cards import Card
from bot.core.commands import Command
from bot.core.events import Event
from bot.storage.database import make_engine, session_factory
from bot.storage.teams_conversations import SqlConversationRefs
from bot.timers.system_clock import SystemClock
from tests.adapters.conftest import RecordingBus
from tests.fakes.servers import ServedApp
from tests.fakes.teams_driver import TeamsDriver
from tests.fakes.teams_service import APP_ID, ISSUER, TEAM_ID, TENANT_ID, TeamsStandIn


@dataclass
class TeamsRig:
    teams: TeamsStandIn
    notifier: TeamsNotifier
    refs: SqlConversationRefs
    bus: RecordingBus
    driver: TeamsDriver


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    stand_in = TeamsStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url
        yield stand_in


def config(teams: TeamsStandIn) -> TeamsConfig:
    return TeamsConfig(
        app_id=APP_ID,
        password="teams-client-secret-for-tests",
        tenant_id=TENANT_ID,
        team_id=TEAM_ID,
        metadata_url=f"{teams.url}/openid/.well-known/openidconfiguration",
        issuer=ISSUER,
        login_url=f"{teams.url}/login",
        graph_url=f"{teams.url}/graph",
        max_wait_s=0.05,
    )


@dataclass
class GatedBus(RecordingBus):
    """A bus whose commands take until the test opens the gate (bounded)."""

    gate: threading.Event = field(default_factory=threading.Event)

    async def handle(self, command: Command) -> Sequence[Event]:
        await asyncio.to_thread(self.gate.wait, 20)
        return await super().handle(command)


@pytest.fixture
async def rig(teams: TeamsStandIn, ledger_url: str) -> AsyncIterator[TeamsRig]:
    async for served in _serve(teams, ledger_url, RecordingBus(), config(teams)):
        yield served


@pytest.fixture
async def gated_rig(teams: TeamsStandIn, ledger_url: str) -> AsyncIterator[TeamsRig]:
    settings = replace(config(teams), invoke_budget_s=0.2)
    async for served in _serve(teams, ledger_url, GatedBus(), settings):
        yield served


async def _serve(
    teams: TeamsStandIn, ledger_url: str, bus: RecordingBus, settings: TeamsConfig
) -> AsyncIterator[TeamsRig]:
    """The real door, verifier, translator and notifier; the bus only records. The
    served door gets its own engine and HTTP client: it runs on another event loop,
    which closes that engine at shutdown (this loop closes the test's)."""
    engine, door_engine = make_engine(ledger_url), make_engine(ledger_url)
    refs = SqlConversationRefs(session_factory(engine), SystemClock())
    notifier = teams_notifier(settings, refs)
    door_refs = SqlConversationRefs(session_factory(door_engine), SystemClock())
    door_notifier = teams_notifier(settings, door_refs)

    async def no_card(incident_id: str) -> Card | None:
        return None

    app = FastAPI(on_shutdown=[door_engine.dispose])
    app.include_router(teams_door(settings, door_notifier, bus, no_card))
    try:
        with ServedApp(app) as served:
            yield TeamsRig(teams, notifier, refs, bus, TeamsDriver(served.url, teams))
    finally:
        await engine.dispose()
