"""Blastwall as a real process (``python -m bot.cli serve``) with its stand-ins around it."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

import httpx
from sqlalchemy import select

from bot.evidence.signing import load_or_create_signing_key, public_key_pem
from bot.storage.database import make_engine
from bot.storage.models import EvidenceEntryRow
from tests.fakes.moto_aws import key_status

T = TypeVar("T")
START_TIMEOUT_S = 60
EVENTUALLY_S = 30


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout_s: float = EVENTUALLY_S
) -> T: ...


@overload
async def eventually(probe: Callable[[], T | None], timeout_s: float = EVENTUALLY_S) -> T: ...


async def eventually(probe: Callable[[], Any], timeout_s: float = EVENTUALLY_S) -> Any:
    """Poll ``probe`` until it returns something truthy, within a bound."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s}s: {probe}")
        await asyncio.sleep(0.05)


@dataclass
class Blastwall:
    workdir: Path
    env: dict[str, str]
    url: str
    iam: Any
    slack_secret: str
    intake_token: str
    database_url: str
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / "blastwall.log"

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.intake_token}"}

    @property
    def public_key(self) -> str:
        path = self.workdir / "public.pem"
        key = load_or_create_signing_key(Path(self.env["BLASTWALL_SIGNING_KEY"]))
        path.write_bytes(public_key_pem(key))
        return str(path)

    def start(self) -> None:
        port = self.url.rsplit(":", 1)[1]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--port", port],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"blastwall exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"blastwall did not answer /healthz:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def export(self, incident_id: str, out: Path) -> subprocess.CompletedProcess[str]:
        """``evidence export`` once the service has signed a checkpoint (export only
        reads; the anchoring pass signs within its interval). Bounded: 30 s."""
        deadline = time.monotonic() + 30
        while True:
            done = self.cli("evidence", "export", incident_id, "-o", str(out))
            if "no signed checkpoint yet" not in done.stderr or time.monotonic() > deadline:
                return done
            time.sleep(0.2)

    def aws_key(self, user: str) -> str:
        self.iam.create_user(UserName=user)
        return str(self.iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"])

    def key_status(self, key_id: str) -> str:
        user = self.iam.get_access_key_last_used(AccessKeyId=key_id)["UserName"]
        return key_status(self.iam, user, key_id)

    async def evidence(self, incident_id: str) -> list[dict[str, Any]]:
        return await stored_evidence(self.database_url, incident_id)

    async def evidence_whats(self, incident_id: str, waiting_for: str) -> list[str] | None:
        whats = [e["what"] for e in await self.evidence(incident_id)]
        return whats if waiting_for in whats else None


async def stored_evidence(database_url: str, incident_id: str) -> list[dict[str, Any]]:
    """An incident's ledger entries as stored, in order, read straight from the database."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(EvidenceEntryRow.line)
                .where(EvidenceEntryRow.incident_id == incident_id)
                .order_by(EvidenceEntryRow.seq)
            )
            return [json.loads(line) for line in rows.scalars()]
    finally:
        await engine.dispose()


def base_env(**extra: str) -> dict[str, str]:
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("BLASTWALL_", "SLACK_", "AWS_"))
    }
    return {
        **keep,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # moto has no CloudTrail LookupEvents: activity tests serve their own stand-in
        "BLASTWALL_AWS_CLOUDTRAIL": "off",
        # the stand-in enforces no rate tier unless a test asks: do not pace rooms either
        "BLASTWALL_SLACK_CREATE_LIMIT": "10000",
        **extra,
    }
