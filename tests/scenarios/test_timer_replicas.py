"""Two ``blastwall serve`` processes on one database: every due timer fires exactly once,
even when one of them is killed with SIGKILL halfway through; timers that fell due
while Blastwall was down fire on start with their lateness recorded."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.actors import Actor
from bot.core.escalation import StallKind
from bot.core.incidents import Environment, Incident, Severity
from bot.storage.migrate import upgrade
from bot.storage.models import EvidenceEntryRow, TimerRow
from bot.storage.unit_of_work import Database
from tests.fakes.servers import free_port
from tests.fixtures_db import REDACTOR
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db
TIMERS = 300
INCIDENTS = 3


async def _seed(url: str) -> list[str]:
    """Incidents and timers that fell due an hour ago, while nothing was running."""
    await upgrade(url)
    database = Database(url, REDACTOR.redact_body)
    past = datetime.now(UTC) - timedelta(hours=1)
    ids = [f"INC-20261122-{n:04d}" for n in range(1, INCIDENTS + 1)]
    try:
        async with database.uow() as uow:
            for incident_id in ids:
                await uow.incidents.add(
                    Incident(
                        id=incident_id,
                        title="bulk",
                        severity=Severity.SEV3,
                        environment=Environment.PRODUCTION,
                        playbook="leaked-cloud-access-key",
                        declared_at=past,
                        declared_by=Actor("slack", "U0EXAMPLE1"),
                    )
                )
            for n in range(TIMERS):
                await uow.timers.arm(
                    ids[n % INCIDENTS],
                    StallKind.NO_STATUS_UPDATE,
                    f"bulk-{n}",
                    past,
                    past + timedelta(seconds=n),
                )
            await uow.commit()
    finally:
        await database.dispose()
    return ids


async def _state(url: str) -> tuple[int, Counter[int]]:
    """(timers due and not yet fired, evidence entries per fired timer id)."""
    database = Database(url, REDACTOR.redact_body)
    try:
        async with database.engine.connect() as conn:
            pending = (
                await conn.execute(
                    select(func.count())
                    .select_from(TimerRow)
                    .where(TimerRow.state == "pending", TimerRow.due_at <= datetime.now(UTC))
                )
            ).scalar_one()
            lines = (
                (
                    await conn.execute(
                        select(EvidenceEntryRow.line).where(
                            EvidenceEntryRow.line.contains("escalation timer fired")
                        )
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await database.dispose()
    fired = Counter(int(json.loads(line)["details"]["timer"]) for line in lines)
    return int(pending), fired


def _replica(tmp_path: Path, url: str, name: str) -> Blastwall:
    workdir = tmp_path / name
    workdir.mkdir()
    env = base_env(
        BLASTWALL_DATABASE_URL=url,
        BLASTWALL_TIMER_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
    )
    return Blastwall(
        workdir=workdir,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=None,
        slack_secret="",
        intake_token="",
        database_url=url,
    )


async def test_two_replicas_fire_every_timer_exactly_once_despite_a_kill(
    tmp_path: Path, database_url: str
) -> None:
    await _seed(database_url)
    first, second = _replica(tmp_path, database_url, "a"), _replica(tmp_path, database_url, "b")
    first.start()
    second.start()
    try:
        await eventually(lambda: _fired_some(database_url), timeout_s=60)
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=20)
        pending, fired = await eventually(lambda: _all_fired(database_url), timeout_s=180)
    finally:
        first.stop()
        second.stop()
    assert pending == 0
    assert len(fired) == TIMERS
    assert set(fired.values()) == {1}, "a timer fired more than once"


async def _fired_some(url: str) -> bool:
    _, fired = await _state(url)
    return len(fired) >= TIMERS // 10


async def _all_fired(url: str) -> tuple[int, Counter[int]] | None:
    pending, fired = await _state(url)
    return (pending, fired) if pending == 0 and len(fired) >= TIMERS else None


async def test_timers_due_while_down_fire_on_start_with_lateness(
    tmp_path: Path, database_url: str
) -> None:
    ids = await _seed(database_url)
    replica = _replica(tmp_path, database_url, "solo")
    replica.start()
    try:
        await eventually(lambda: _all_fired(database_url), timeout_s=180)
        entries = await replica.evidence(ids[0])
    finally:
        replica.stop()
    fired = [e for e in entries if e["what"] == "escalation timer fired"]
    assert len(fired) == TIMERS // INCIDENTS
    assert all(e["details"]["lateness_seconds"] > 3000 for e in fired)
    await asyncio.sleep(0)
