"""Database fixtures: SQLite by default, a fresh PostgreSQL database per test when
BLASTWALL_TEST_DATABASE_URL names a server (the CI's second run does)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.secrets import build_redactor
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import Database

REDACTOR = build_redactor(b"test-redaction-key-32-bytes-long")
SERVER_ENV = "BLASTWALL_TEST_DATABASE_URL"


def postgres_server() -> str | None:
    return os.environ.get(SERVER_ENV) or None


def _dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


async def create_postgres_database(server_url: str) -> str:
    name = f"blastwall_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(server_url, make_url(server_url).database or "postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(server_url: str, url: str) -> None:
    conn = await asyncpg.connect(_dsn(server_url, make_url(server_url).database or "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    server = postgres_server()
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'blastwall.db'}"
        return
    url = await create_postgres_database(server)
    try:
        yield url
    finally:
        await drop_postgres_database(server, url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    await upgrade(database_url)
    db = Database(database_url, redact=REDACTOR.redact_body)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def dialect(database_url: str) -> Iterator[str]:
    yield make_url(database_url).get_backend_name()
