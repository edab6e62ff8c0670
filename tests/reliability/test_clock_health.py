"""A replica whose clock is off the database's by more than the tolerance says so:
a warning at start, and ``clock_ok: false`` on ``/healthz`` (still 200: timers and
leases follow the database's clock, so the replica keeps working correctly)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import build, create_app
from bot.config import Settings
from tests.fakes.servers import ServedApp

pytestmark = pytest.mark.db


class RunningClock:
    """The host's clock, ``ahead`` of it."""

    def __init__(self, ahead: timedelta) -> None:
        self._ahead = ahead

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead


@pytest.mark.parametrize("ahead_s", [0, 3600], ids=["in-step", "an-hour-fast"])
async def test_a_replica_off_the_database_clock_says_so_at_start_and_on_healthz(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture, ahead_s: int
) -> None:
    settings = Settings(
        database_url=database_url, signing_key=tmp_path / "signing.pem", clock_tolerance=5
    )
    wired = build(settings, environ={})
    wired.services = replace(wired.services, clock=RunningClock(timedelta(seconds=ahead_s)))
    caplog.set_level(logging.WARNING, logger="bot.app")
    with ServedApp(create_app(wired)) as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=10) as web:
            health = await web.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["clock_tolerance_seconds"] == 5
    assert abs(body["clock_skew_seconds"] - ahead_s) < 5
    assert body["clock_ok"] is (ahead_s == 0)
    warned = [r for r in caplog.records if "off the database's" in r.getMessage()]
    assert bool(warned) is (ahead_s != 0)
