"""The benchmarks' databases: a fresh SQLite file or a fresh PostgreSQL database
per run, so figures never include an earlier run's rows."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


async def postgres_answers() -> bool:
    try:
        conn = await asyncpg.connect(PG_SERVER, timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


async def fresh_database(kind: str, workdir: Path) -> tuple[str, str | None]:
    """The URL of an empty database, and the PostgreSQL database's name to drop."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / f'{uuid.uuid4().hex}.db'}", None
    name = f"blastwall_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_SERVER)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def drop_database(name: str | None) -> None:
    if name:
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
