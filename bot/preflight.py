"""What ``blastwall serve`` checks before it wires anything, so it fails like a tool.

Each problem an operator can make in the environment (a typo in a URL, a
database that is down, a port taken, a key file with loose rights) ends in one
line naming the setting and the fix, and a non-zero exit, instead of a
traceback from deep inside a library minutes later.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import stat
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config import ConfigError, Settings

log = logging.getLogger("blastwall")
CONNECT_TIMEOUT_S = 10
_DRIVERS = {
    "sqlite",
    "sqlite+aiosqlite",
    "sqlite+pysqlite",
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg2",
}


def check_database_url(url: str) -> None:
    fix = "use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"BLASTWALL_DATABASE_URL is not a database URL: {fix}") from exc
    if parsed.drivername not in _DRIVERS:
        raise ConfigError(
            f"BLASTWALL_DATABASE_URL has the unsupported scheme {parsed.drivername!r}: {fix}"
        )


async def _ping(url: str) -> None:
    from bot.storage.database import make_engine

    engine = make_engine(url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def check_database_answers(url: str) -> None:
    from bot.adapters.http.outage import summary

    try:
        asyncio.run(_ping(url))
    except Exception as exc:  # any failure to connect is reported the same way
        where = make_url(url).render_as_string(hide_password=True)
        raise ConfigError(
            f"BLASTWALL_DATABASE_URL: cannot reach the database at {where} ({summary(exc)}): "
            "start it, or fix the URL"
        ) from exc


def check_signing_key(path: Path) -> None:
    """The key file is checked here; ``load_or_create_signing_key`` reads it later.
    A missing directory is a typo far more often than a wish, so it is not created."""
    setting = f"BLASTWALL_SIGNING_KEY={path}"
    if not path.exists():
        if not path.parent.is_dir():
            raise ConfigError(
                f"{setting}: the directory {path.parent} does not exist: create it "
                "(mkdir -m 700) or point BLASTWALL_SIGNING_KEY at an existing directory"
            )
        return
    if not path.is_file():
        raise ConfigError(f"{setting}: not a file: point it at a PEM key file")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{setting}: the key is readable by others (mode {mode:o}): run chmod 600 {path}"
        )
    from bot.evidence.signing import SigningKeyError, load_or_create_signing_key

    try:
        load_or_create_signing_key(path)
    except (SigningKeyError, OSError) as exc:
        raise ConfigError(
            f"{setting}: not a PEM-encoded Ed25519 private key: restore the right file, "
            "or point BLASTWALL_SIGNING_KEY at a new path to start a new key"
        ) from exc


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket now (uvicorn serves on it), so a port in use is
    reported here and no other process can take it between check and use."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host}: cannot resolve it ({exc}): give an address") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"--port {port}: {host}:{port} is already in use: stop the other process "
                "or choose another --port"
            ) from exc
        raise ConfigError(f"--host {host} --port {port}: cannot listen ({exc.strerror})") from exc
    sock.set_inheritable(True)
    return sock


def warn_about_workspace(settings: Settings) -> None:
    if settings.slack_enabled and not (settings.slack_team_id or settings.slack_enterprise_id):
        log.warning(
            "SLACK_TEAM_ID and SLACK_ENTERPRISE_ID are unset: signed requests from any Slack "
            "workspace are accepted; set SLACK_TEAM_ID to your workspace id (T...)"
        )


def check_teams(settings: Settings) -> None:
    """A Teams bot without its password cannot answer, and must not accept activities
    it could only half handle (issue 11)."""
    password = settings.teams_app_password
    if settings.teams_app_id and not (password and password.get_secret_value().strip()):
        raise ConfigError(
            "TEAMS_APP_ID is set but TEAMS_APP_PASSWORD is not: set it to the client secret "
            "of the bot's Microsoft Entra app registration"
        )
    if settings.teams_app_id and not (settings.teams_tenant_id and settings.teams_team_id):
        log.warning(
            "TEAMS_TENANT_ID or TEAMS_TEAM_ID is unset: activities from any tenant are "
            "accepted, or incident channels cannot be created; set both"
        )


def preflight(settings: Settings, database_url: str) -> None:
    """Every check that needs no open port, cheapest first."""
    check_teams(settings)
    check_database_url(database_url)
    check_signing_key(settings.signing_key_path())
    check_database_answers(database_url)
    warn_about_workspace(settings)
