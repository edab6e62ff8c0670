"""Seeded secrets sent through every door rest nowhere (issue 8, section 1).

Every form in ``seeds.py`` goes in through ``POST /alerts`` (title, summary,
identity attributes, details), signed Slack slash commands, the declaration
modal, an approver's reason, and console form posts. Then the SQLite file and
its WAL, every exported evidence bundle, the process's log and everything the
Slack stand-in received are searched byte for byte: no secret may be found.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bot.evidence.signing import load_or_create_signing_key, redaction_key
from bot.secrets.sealing import Sealer
from bot.storage.database import make_engine
from bot.storage.models import IncidentRow
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, MANAGER
from tests.scenarios.harness import Blastwall, eventually
from tests.scenarios.test_approval_in_slack import _decide
from tests.secrets.seeds import AWS_ID_1, CORPUS, GITHUB_PAT, NEEDLES, SEEDS


def _titles() -> list[str]:
    """The seeds packed into titles of at most 200 characters (the title limit)."""
    titles, current = [], ""
    for seed in SEEDS:
        if len(seed.text) > 190:
            continue
        if current and len(current) + len(seed.text) + 3 > 200:
            titles.append(current)
            current = ""
        current = f"{current} ; {seed.text}" if current else seed.text
    return [*titles, current]


def _alert(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "title": title,
        "summary": CORPUS,
        "identity": {
            "system": "aws",
            "kind": "access_key",
            "id": AWS_ID_1,
            "owner": "team payments",
            "attributes": {seed.name: seed.text for seed in SEEDS} | {"credential": GITHUB_PAT},
        },
        "details": {"raw": CORPUS, "seeds": [s.text for s in SEEDS], "password": "pw-Seeded"},
        **extra,
    }


async def _through_alerts(web: httpx.AsyncClient, blastwall: Blastwall) -> str:
    incident = ""
    for title in _titles():  # one incident; the later alerts coalesce into it
        answer = await web.post("/alerts", json=_alert(title), headers=blastwall.bearer)
        assert answer.status_code == 202, answer.text
        incident = incident or answer.json()["incident"]
    return incident


async def _through_slack_commands(driver: SlackDriver) -> int:
    titles = _titles()
    for title in titles:
        assert (await driver.slash_command(IC, f"open {title}")).status_code == 200
    form = {"title": {"title": {"value": titles[0]}}, "summary": {"summary": {"value": CORPUS}}}
    assert (await driver.view_submission(IC, "bw.declare", form)).status_code == 200
    return len(titles) + 1


async def _through_an_approval(
    web: httpx.AsyncClient, blastwall: Blastwall, slack: SlackStandIn, driver: SlackDriver
) -> str:
    blastwall.iam.create_user(UserName="shared-svc")
    alert = {
        "source": "nhi-inventory",
        "severity": "SEV2",
        "summary": CORPUS,
        "identity": {"system": "aws", "kind": "service_account", "id": "shared-svc"},
    }
    incident = (await web.post("/alerts", json=alert, headers=blastwall.bearer)).json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    button = card.button("aws.iam.quarantine_principal")
    await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    await _decide(slack, driver, MANAGER, f"D{MANAGER}", CORPUS)
    await eventually(lambda: blastwall.evidence_whats(incident, "action succeeded"))
    return str(incident)


async def _through_the_console(web: httpx.AsyncClient, blastwall: Blastwall, incident: str) -> None:
    link = re.search(r"(/console/login\?token=\S+)", blastwall.log.read_text())
    assert link, "serve printed no sign-in link"
    await web.get(link.group(1))
    room = (await web.get(f"/console/incidents/{incident}")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', room)
    assert csrf, room[:500]
    forms = [
        (f"/console/incidents/{incident}/command", {"what": "status", "status": "contained"}),
        (
            f"/console/incidents/{incident}/act",
            {"action": "aws.iam.deactivate_access_key", "target": f"aws:access_key:{AWS_ID_1}"},
        ),
    ]
    for path, fields in forms:
        text = {"reason": CORPUS, "why": CORPUS}
        answer = await web.post(path, data={**fields, **text, "csrf": csrf.group(1)})
        assert answer.status_code < 500, answer.text


async def _incident_ids(blastwall: Blastwall) -> list[str]:
    engine = make_engine(blastwall.database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(IncidentRow.id))).scalars())
    finally:
        await engine.dispose()


async def _held_sealed(blastwall: Blastwall, incident: str) -> str:
    """The leaked token Blastwall must keep to revoke it, as it unseals it."""
    engine = make_engine(blastwall.database_url)
    try:
        async with engine.connect() as conn:
            stored = await conn.execute(
                select(IncidentRow.identities).where(IncidentRow.id == incident)
            )
            identity = stored.scalar_one()[0]
    finally:
        await engine.dispose()
    key = load_or_create_signing_key(Path(blastwall.env["BLASTWALL_SIGNING_KEY"]))
    return Sealer(redaction_key(key)).unseal(identity["attributes"]["credential_sealed"])


def _sign_in_token_logged(blastwall: Blastwall) -> int:
    """How often the console sign-in token is in the log: once, as ``serve`` printed it;
    uvicorn's access line for ``/console/login?token=…`` is redacted."""
    log = blastwall.log.read_text()
    token = re.search(r"/console/login\?token=(\S+)", log)
    assert token
    return log.count(token.group(1))


def _leaks(where: str, data: bytes, needles: Sequence[str] = NEEDLES) -> list[str]:
    return [f"{where}: {n[:24]}…" for n in needles if n.encode() in data]


def _exported(
    blastwall: Blastwall, incidents: list[str], tmp_path: Path, needles: Sequence[str] = NEEDLES
) -> list[str]:
    leaks = []
    for incident in incidents:
        out = tmp_path / f"{incident}.zip"
        done = blastwall.export(incident, out)
        assert done.returncode == 0, done.stderr
        with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as bundle:
            for name in bundle.namelist():
                leaks += _leaks(f"{incident}.zip/{name}", bundle.read(name), needles)
    return leaks


def _slack_saw(slack: SlackStandIn) -> bytes:
    seen = {
        "received": slack.received,
        "channels": [asdict(c) for c in slack.channels.values()],
        "messages": [asdict(m) for m in slack.messages],
        "ephemerals": [asdict(e) for e in slack.ephemerals],
        "views": slack.views,
        "responses": slack.responses,
    }
    return json.dumps(seen, default=str, ensure_ascii=False).encode()


def _database_files(sqlite_file: Path, needles: Sequence[str] = NEEDLES) -> list[str]:
    leaks = []
    for path in sqlite_file.parent.glob(f"{sqlite_file.name}*"):
        leaks += _leaks(path.name, path.read_bytes(), needles)
    return leaks


async def test_no_seeded_secret_rests_anywhere(
    blastwall: Blastwall, slack: SlackStandIn, sqlite_file: Path, tmp_path: Path
) -> None:
    driver = SlackDriver(
        blastwall.url,
        blastwall.slack_secret,
        response_base=f"{slack.url}/response_url",  # type: ignore[attr-defined]
    )
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=30) as web:
        leaked_key = await _through_alerts(web, blastwall)
        declared = await _through_slack_commands(driver)
        await _through_an_approval(web, blastwall, slack, driver)
        await _through_the_console(web, blastwall, leaked_key)
    rooms = 2 + declared
    await eventually(lambda: len([c for c in slack.channels.values() if c.name]) >= rooms)
    incidents = await _incident_ids(blastwall)
    assert len(incidents) == rooms
    assert await _held_sealed(blastwall, leaked_key) == GITHUB_PAT
    assert _sign_in_token_logged(blastwall) == 1
    assert all(
        re.fullmatch(r"inc-\d{8}-\d{4}(-[a-z0-9-]+)?", c.name)
        for c in slack.channels.values()
        if c.name
    )

    leaks = _database_files(sqlite_file)
    leaks += _exported(blastwall, incidents, tmp_path)  # while the service signs
    blastwall.stop()
    leaks += _database_files(sqlite_file)
    leaks += _leaks("log", blastwall.log.read_bytes())
    leaks += _leaks("slack", _slack_saw(slack))
    assert leaks == []
    assert b"[REDACTED:" in _slack_saw(slack) and b"[REDACTED:" in sqlite_file.read_bytes()
