"""Blastwall's web app served on 127.0.0.1, with every alert door switched on."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import build, create_app
from bot.config import Settings
from bot.storage.database import make_engine
from bot.storage.models import EvidenceEntryRow, IncidentRow
from tests.fakes.servers import ServedApp
from tests.scenarios.harness import stored_evidence

PAYLOADS = Path(__file__).parent / "payloads"
TOKEN = "intake-token-for-tests"
HOOK_SECRET = "github-webhook-secret-for-tests"

PLAYBOOK = """\
name: intake-leaked-key
title: Leaked credential
trigger:
  sources: [github-secret-scanning, aws-guardduty, aws-securityhub, ocsf]
  identity:
    systems: [aws, github]
    kinds: [access_key, token, user, service_account]
  min_severity: SEV4
default_severity: SEV3
commander:
  user: "console:alice"
rights:
  nhi.credential-lifecycle: ["console:alice"]
  audit: ["console:alice"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
"""


def payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return copy.deepcopy(loaded)


def signed(body: bytes, secret: str = HOOK_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "secret_scanning_alert",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }


@dataclass
class Intake:
    url: str
    database_url: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def github(self, hook: dict[str, Any], **headers: str) -> httpx.Response:
        body = json.dumps(hook).encode()
        return httpx.post(
            f"{self.url}/alerts/github", content=body, headers={**signed(body), **headers}
        )

    def post(self, path: str, body: object) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=self.bearer)

    async def incidents(self) -> list[IncidentRow]:
        engine = make_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(select(IncidentRow))).all())  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    async def evidence(self, incident_id: str) -> list[dict[str, Any]]:
        return await stored_evidence(self.database_url, incident_id)

    async def stored_text(self) -> str:
        """Every incident, identity and evidence row, as one string to search."""
        engine = make_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(select(IncidentRow))).all()
                lines = (await conn.execute(select(EvidenceEntryRow.line))).scalars().all()
        finally:
            await engine.dispose()
        return json.dumps([list(map(str, r)) for r in rows]) + "".join(lines)


def serve(tmp_path: Path, database_url: str, **settings: Any) -> Iterator[Intake]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir(exist_ok=True)
    (playbooks / "intake.yaml").write_text(PLAYBOOK)
    configured = Settings(
        database_url=database_url,
        playbooks=playbooks,
        signing_key=tmp_path / "signing.pem",
        **settings,
    )
    with ServedApp(create_app(build(configured))) as served:
        yield Intake(served.url, database_url)


@pytest.fixture
def intake(tmp_path: Path, database_url: str) -> Iterator[Intake]:
    yield from serve(tmp_path, database_url, intake_token=TOKEN, github_webhook_secret=HOOK_SECRET)


@pytest.fixture
def intake_off(tmp_path: Path, database_url: str) -> Iterator[Intake]:
    """No intake token and no GitHub webhook secret: the doors say they are off."""
    yield from serve(tmp_path, database_url)
