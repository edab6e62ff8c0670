"""One Blastwall deployment in-process (the composition root's ``build``) with a
recording chat, plus the real ``blastwall`` CLI as a subprocess against its files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.app import build
from bot.config import Settings
from bot.core.actors import Actor
from bot.core.commands import DeclareIncident
from bot.core.events import IncidentDeclared
from bot.evidence.anchoring import Anchoring
from bot.evidence.timestamps import Timestamper
from bot.service.bus import MessageBus
from bot.service.handlers import build_bus
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import Database
from tests.fakes.chat import RecordingNotifier
from tests.fakes.servers import ServedApp
from tests.fakes.tsa import TimeStampAuthority
from tests.scenarios.harness import base_env

ORIGIN = "evidence.example.test"
ALICE = Actor.parse("console:alice")


@dataclass
class Deployment:
    workdir: Path
    database_url: str
    key_path: Path
    chat: RecordingNotifier
    bus: MessageBus
    anchoring: Anchoring
    database: Database

    def cli(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = base_env(
            BLASTWALL_DATABASE_URL=self.database_url,
            BLASTWALL_SIGNING_KEY=str(self.key_path),
        )
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=cwd or self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    async def declare(self, title: str = "Leaked key") -> str:
        events = await self.bus.handle(
            DeclareIncident(
                title=title,
                source="manual",
                declared_by=ALICE,
                playbook="leaked-cloud-access-key",
            )
        )
        return next(e.incident_id for e in events if isinstance(e, IncidentDeclared))

    def said(self, incident_id: str) -> list[str]:
        return [text for who, text in self.chat.said if who == incident_id]


class TsaSwitch:
    """The TSA stand-in behind a switch: off, it answers 503 like a TSA in an outage."""

    def __init__(self) -> None:
        self.authority = TimeStampAuthority()
        self.down = False


@pytest.fixture
def tsa() -> Iterator[tuple[TsaSwitch, str]]:
    from fastapi import Request, Response

    switch = TsaSwitch()
    app = switch.authority.app()

    @app.middleware("http")
    async def outage(request: Request, call_next):  # type: ignore[no-untyped-def]
        if switch.down:
            return Response(status_code=503)
        return await call_next(request)

    with ServedApp(app) as served:
        yield switch, served.url + "/"


async def deploy(
    workdir: Path, database_url: str, tsa_url: str | None, origin: str = ORIGIN
) -> Deployment:
    settings = Settings(
        database_url=database_url,
        signing_key=workdir / "signing-key.pem",
        origin=origin,
        tsa_url=tsa_url,
    )
    await upgrade(database_url)
    wired = build(settings, environ={})
    chat = RecordingNotifier(platform="console")
    services = replace(wired.services, notifiers={"console": chat})
    stamper = Timestamper(tsa_url) if tsa_url else None
    return Deployment(
        workdir,
        database_url,
        workdir / "signing-key.pem",
        chat,
        build_bus(services),
        Anchoring(wired.database.uow, services, stamper),
        wired.database,
    )


@pytest.fixture
async def deployment(tmp_path: Path, database_url: str) -> AsyncIterator[Deployment]:
    deployed = await deploy(tmp_path, database_url, None)
    try:
        yield deployed
    finally:
        await deployed.database.dispose()
