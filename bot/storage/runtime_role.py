"""The PostgreSQL role ``blastwall serve`` runs as: it may add evidence, never change it.

The owner (who runs ``blastwall db upgrade``) owns the tables and their
triggers. The runtime role gets INSERT and SELECT on the evidence tables and
nothing more, so it cannot UPDATE, DELETE or TRUNCATE evidence, cannot drop or
disable the append-only triggers (only an owner may), and cannot ``SET
session_replication_role`` (only a superuser, or a role granted SET on it, may).
The other tables it reads and writes as the service needs.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.database import make_engine
from bot.storage.models import Base

# transcript_messages: which room messages the ledger holds; insert-only like the ledger
EVIDENCE = ("evidence_entries", "checkpoints", "checkpoint_anchors", "transcript_messages")
READ_ONLY = ("alembic_version",)
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(Exception):
    pass


def statements(role: str, database: str) -> list[str]:
    """The GRANTs, idempotent: everything is revoked first, then granted again."""
    if not _ROLE.match(role):
        raise RoleError(f"not a plain role name (lower case, digits, _): {role!r}")
    working = sorted(t for t in Base.metadata.tables if t not in EVIDENCE)
    every = sorted([*working, *EVIDENCE, *READ_ONLY])
    return [
        f'REVOKE ALL ON {", ".join(every)} FROM "{role}"',
        f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT ON {", ".join(EVIDENCE)} TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(working)} TO "{role}"',
        f'GRANT SELECT ON {", ".join(READ_ONLY)} TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
    ]


async def grant_runtime(url: str, role: str) -> None:
    """Run as the owner after ``db upgrade``; refuses a role that could bypass the guards."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise RoleError("a runtime role is a PostgreSQL feature; SQLite has no roles")
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            found = (
                await conn.execute(
                    text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                    {"r": role},
                )
            ).first()
            if found is None:
                raise RoleError(f"no role {role}: CREATE ROLE {role} LOGIN PASSWORD '...' first")
            if found[0]:
                raise RoleError(f"{role} is a superuser: it could switch the triggers off")
            for statement in statements(role, parsed.database or "postgres"):
                await conn.execute(text(statement))
    finally:
        await engine.dispose()
