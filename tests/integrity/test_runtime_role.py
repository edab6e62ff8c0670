"""The PostgreSQL runtime role (issue 9, section 1): ``serve`` runs as a role that
can add evidence but cannot change it, nor switch the guards off."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.storage.migrate import upgrade
from tests.fixtures_db import create_postgres_database, drop_postgres_database
from tests.integrity.conftest import deploy
from tests.scenarios.harness import base_env

pytestmark = pytest.mark.db
SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _server() -> str:
    try:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL does not answer at 127.0.0.1:5432 ({exc})")
    await conn.close()
    return SERVER


@pytest.fixture
async def owned(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """(owner URL, runtime role URL) of a fresh database brought up by its owner."""
    server = await _server()
    url = await create_postgres_database(server)
    role = f"blastwall_rt_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        await upgrade(url)
        yield url, make_url(url).set(username=role).render_as_string(hide_password=False)
    finally:
        await drop_postgres_database(server, url)
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


def _grant(owner_url: str, role: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "grant-runtime", role],
        cwd=cwd,
        env=base_env(BLASTWALL_DATABASE_URL=owner_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_runtime_role_adds_evidence_but_cannot_touch_it(
    owned: tuple[str, str], tmp_path: Path
) -> None:
    owner_url, runtime_url = owned
    role = make_url(runtime_url).username
    assert role is not None
    granted = _grant(owner_url, role, tmp_path)
    assert granted.returncode == 0, granted.stderr
    assert _grant(owner_url, "postgres", tmp_path).returncode == 2  # a superuser is refused

    await upgrade(runtime_url)  # what serve does on start: nothing pending, nothing to do
    deployment = await deploy(tmp_path, runtime_url, None)
    try:
        incident = await deployment.declare()
        await deployment.anchoring.run()
    finally:
        await deployment.database.dispose()

    dsn = make_url(runtime_url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM evidence_entries") >= 1
        for attempt in (
            "SET session_replication_role = replica",
            "ALTER TABLE evidence_entries DISABLE TRIGGER ALL",
            "DROP TRIGGER evidence_entries_append_only ON evidence_entries",
            "UPDATE evidence_entries SET line = '{}'",
            "DELETE FROM evidence_entries",
            "DELETE FROM checkpoints",
            "UPDATE checkpoint_anchors SET detail = 'x'",
            "TRUNCATE evidence_entries",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(attempt)
    finally:
        await conn.close()
    exported = subprocess.run(
        [sys.executable, "-m", "bot.cli", "evidence", "export", incident, "-o", "b.zip"],
        cwd=tmp_path,
        env=base_env(
            BLASTWALL_DATABASE_URL=runtime_url,
            BLASTWALL_SIGNING_KEY=str(tmp_path / "signing-key.pem"),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
