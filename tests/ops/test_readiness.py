"""``/readyz``: ready only when the database answers and its migrations are at head;
``/healthz`` stays liveness (a replica behind on migrations is alive, not ready)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bot.app import build, create_app
from bot.config import Settings
from bot.storage.database import make_engine
from bot.storage.migrate import head_revision
from tests.fakes.servers import ServedApp

pytestmark = pytest.mark.db


async def _set_revision(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        await engine.dispose()


async def test_ready_at_head_not_ready_behind_it(tmp_path: Path, database_url: str) -> None:
    settings = Settings(database_url=database_url, signing_key=tmp_path / "signing.pem")
    with ServedApp(create_app(build(settings, environ={}))) as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=10) as web:
            ready = await web.get("/readyz")
            await _set_revision(database_url, "0009_teams_conversations")
            behind = await web.get("/readyz")
            alive = await web.get("/healthz")
            await _set_revision(database_url, str(head_revision()))
            again = await web.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert behind.status_code == 503 and behind.headers["Retry-After"] == "5"
    reason = behind.json()["reason"]
    assert "0009_teams_conversations" in reason and "blastwall db upgrade" in reason
    assert alive.status_code == 200
    assert again.status_code == 200


async def test_not_ready_when_the_database_does_not_answer(tmp_path: Path) -> None:
    database = tmp_path / "blastwall.db"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}", signing_key=tmp_path / "signing.pem"
    )
    with ServedApp(create_app(build(settings, environ={}))) as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=10) as web:
            assert (await web.get("/readyz")).status_code == 200
            for path in tmp_path.glob("blastwall.db*"):
                with path.open("r+b") as file:
                    file.write(b"\0not a database\0" * 4096)
            broken = await web.get("/readyz")
    assert broken.status_code == 503
    assert broken.json()["reason"].startswith("the database does not answer")
