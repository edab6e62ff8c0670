from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI

from bot.adapters.slack.app import build_slack_app
from bot.adapters.slack.notifier import make_client
from bot.adapters.slack.route import Doorman, slack_router
from bot.adapters.slack.workspace import Workspace
from bot.core.commands import Command
from bot.core.events import Event
from bot.storage.database import make_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.replays import SqlReplayLedger
from bot.timers.system_clock import SystemClock
from tests.fakes.servers import ServedApp
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver

TOKEN = "xoxb-test-0000000000-adapter"
SECRET = "adapter-signing-secret-0123456789"
USERS = ["UALICE0001", "UBOB000001"]
TEAM = "T0TEST"


@dataclass
class RecordingBus:
    """The bus fake: remembers every command, raises nothing, returns no events."""

    commands: list[Command] = field(default_factory=list)

    async def handle(self, command: Command) -> Sequence[Event]:
        self.commands.append(command)
        return []

    async def accept(self, command: Command) -> Sequence[Event]:
        return await self.handle(command)


@dataclass
class SlackRig:
    stand_in: SlackStandIn
    driver: SlackDriver
    bus: RecordingBus
    url: str
    refusals: list[tuple[str, str, str]]


@pytest.fixture
def stand_in() -> Iterator[tuple[SlackStandIn, str]]:
    slack = SlackStandIn(TOKEN, users=USERS)
    with ServedApp(slack.app) as served:
        yield slack, served.url


@pytest.fixture
async def ledger_url(database_url: str) -> str:
    await upgrade(database_url)
    return database_url


@pytest.fixture
def rig(stand_in: tuple[SlackStandIn, str], ledger_url: str) -> Iterator[SlackRig]:
    """The real route, bolt app and replay ledger (on the test database), pinned to
    the driver's workspace; refusals are remembered instead of written as evidence."""
    slack, slack_url = stand_in
    bus = RecordingBus()
    refusals: list[tuple[str, str, str]] = []

    async def refuse(incident_id: str, user_id: str, reason: str) -> None:
        refusals.append((incident_id, user_id, reason))

    app = FastAPI()
    client = make_client(TOKEN, f"{slack_url}/api/")
    ledger = SqlReplayLedger(session_factory(make_engine(ledger_url)), SystemClock())
    doorman = Doorman(SECRET, ledger, Workspace(TEAM, None), refuse)
    bolt = build_slack_app(signing_secret=SECRET, client=client, bus=bus)
    app.include_router(slack_router(bolt, doorman))
    with ServedApp(app) as served:
        driver = SlackDriver(served.url, SECRET, response_base=f"{slack_url}/response_url")
        yield SlackRig(slack, driver, bus, served.url, refusals)
