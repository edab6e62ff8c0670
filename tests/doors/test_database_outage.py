"""The database stops answering under a running ``blastwall serve``: 503, one line each.

Deterministic on SQLite: the database file (and its WAL) is overwritten in
place, so every connection, pooled or new, finds no database there from then on.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.fakes.servers import free_port
from tests.scenarios.harness import Blastwall, base_env

TOKEN = "intake-token-for-outage"
ALERT = {
    "source": "github-secret-scanning",
    "severity": "SEV2",
    "summary": "AWS key pushed to a public repo",
    "identity": {"system": "aws", "kind": "access_key", "id": "AKIAOUTAGEEXAMPLE001"},
}


def _serve(tmp_path: Path) -> Blastwall:
    url = f"sqlite:///{tmp_path / 'blastwall.db'}"
    env = base_env(
        BLASTWALL_DATABASE_URL=url,
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_INTAKE_TOKEN=TOKEN,
    )
    return Blastwall(tmp_path, env, f"http://127.0.0.1:{free_port()}", None, "", TOKEN, url)


def _break_the_database(directory: Path) -> None:
    """Overwrite the database and its WAL in place. The shared-memory index is
    zeroed instead: every open connection has it mapped, and scribbling text over
    mapped memory can kill the process instead of failing its queries, which is a
    crash of the test's making, not an outage; a zeroed index only makes each
    connection rebuild it from the (now garbage) WAL and database file."""
    for path in directory.glob("blastwall.db*"):
        size = path.stat().st_size
        with path.open("r+b") as file:
            if path.name.endswith("-shm"):
                file.write(bytes(size))
            else:
                file.write(b"\0not a database\0" * 4096)


async def test_requests_get_503_with_retry_after_and_one_log_line(tmp_path: Path) -> None:
    blastwall = _serve(tmp_path)
    blastwall.start()
    try:
        async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
            assert (await web.post("/alerts", json=ALERT, headers=blastwall.bearer)).is_success
            _break_the_database(tmp_path)
            answers = [
                await web.post("/alerts", json=ALERT, headers=blastwall.bearer) for _ in range(3)
            ]
            health = await web.get("/healthz")
    finally:
        blastwall.stop()
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "5"
        assert "database is unavailable" in answer.json()["detail"]
    assert health.status_code == 503 and health.headers["Retry-After"] == "5"
    log = blastwall.log.read_text()
    assert log.count("database unavailable: POST /alerts") == 3
    assert "Traceback" not in log
