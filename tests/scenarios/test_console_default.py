"""Blastwall with no chat platform: alerts, health, metrics and the CLI's refusals."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import build, create_app
from bot.config import Settings
from tests.fakes.servers import ServedApp
from tests.scenarios.harness import base_env

pytestmark = pytest.mark.db
TOKEN = "intake-token-for-tests"


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[str]:
    settings = Settings(
        database_url=database_url, intake_token=TOKEN, signing_key=tmp_path / "signing.pem"
    )
    with ServedApp(create_app(build(settings, environ={}))) as app:
        yield app.url


ALERT = {
    "source": "aws-guardduty",
    "severity": "SEV2",
    "summary": "key used from Tor",
    "identity": {"system": "aws", "kind": "access_key", "id": "AKIAEXAMPLE000001"},
}


async def test_alerts_declare_and_coalesce_on_the_embedded_default(served: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=served, timeout=10) as web:
        assert (await web.get("/healthz")).json()["status"] == "ok"
        wrong = await web.post("/alerts", json=ALERT, headers={"Authorization": "Bearer no"})
        assert wrong.status_code == 401
        unknown = await web.post("/alerts", json={**ALERT, "colour": "red"}, headers=auth)
        assert unknown.status_code == 422 and "colour" in unknown.text
        unmatched = await web.post("/alerts", json={**ALERT, "severity": "SEV4"}, headers=auth)
        assert unmatched.status_code == 422 and "no playbook" in unmatched.text
        first = await web.post("/alerts", json=ALERT, headers=auth)
        second = await web.post("/alerts", json=ALERT, headers=auth)
        huge = await web.post("/alerts", json={**ALERT, "summary": "x" * 300_000}, headers=auth)
        metrics = (await web.get("/metrics")).text
        schema = (await web.get("/openapi.json")).json()
    assert first.status_code == 202 and first.json()["coalesced"] is False
    assert second.json() == {"incident": first.json()["incident"], "coalesced": True}
    assert huge.status_code == 413
    assert 'blastwall_incidents{status="declared"} 1.0' in metrics
    assert "/alerts" in schema["paths"]


async def test_the_console_asks_a_stranger_to_sign_in(served: str) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=10) as web:
        listing = await web.get("/console")
        download = await web.post("/console/incidents/INC-20261122-0001/evidence/bundle.zip")
    for answer in (listing, download):
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("text/html")
        assert "<h1>Sign in</h1>" in answer.text and "blastwall console link" in answer.text
        assert "script-src 'self'" in answer.headers["content-security-policy"]


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_refuses_an_invalid_playbook(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: bad\ncolour: red\n")
    result = _cli(tmp_path, "serve", BLASTWALL_PLAYBOOKS=str(tmp_path))
    assert result.returncode == 1
    assert "refusing to start" in result.stderr and "bad.yaml:2: colour" in result.stderr


def test_serve_refuses_slack_without_its_signing_secret(tmp_path: Path) -> None:
    result = _cli(tmp_path, "serve", SLACK_BOT_TOKEN="xoxb-1")
    assert result.returncode == 2 and "SLACK_SIGNING_SECRET" in result.stderr


def test_evidence_commands_fail_clearly(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    missing = _cli(
        tmp_path,
        "evidence",
        "export",
        "INC-20261122-0042",
        "-o",
        "b.zip",
        BLASTWALL_DATABASE_URL=db,
    )
    assert missing.returncode == 2 and "no signing key" in missing.stderr
    assert not (tmp_path / "x.db").exists()  # export only reads: it created nothing
    (tmp_path / "junk.zip").write_bytes(b"junk")
    junk = _cli(tmp_path, "evidence", "verify", "junk.zip")
    assert junk.returncode == 1 and "NOT VERIFIED" in junk.stderr
    not_id = _cli(tmp_path, "evidence", "export", "bogus", "-o", "b.zip")
    assert not_id.returncode == 2
