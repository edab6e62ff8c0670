"""Automatic containment through the alert door: a rule deactivates a leaked key in moto
without a click, through the click's own path, recorded, verified and said in the room."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.app import export_evidence
from tests.automatic.conftest import Deployment, alert, whats

pytestmark = pytest.mark.db
AUTOMATIC = {"platform": "blastwall", "user_id": "automatic"}


def _by_automatic(entry: dict[str, object]) -> bool:
    who = entry["who"]
    assert isinstance(who, dict)
    return {k: who[k] for k in AUTOMATIC} == AUTOMATIC


async def test_an_alert_contains_the_key_without_a_click(
    deployment: Deployment, tmp_path: Path
) -> None:
    key_id = deployment.aws_key("staging-ci")
    answer = await deployment.alert(alert(key_id, "staging-ci"))
    assert answer.status_code == 202, answer.text
    incident_id = answer.json()["incident"]
    await deployment.settle()

    assert deployment.key_status("staging-ci", key_id) == "Inactive"
    entries = await deployment.evidence(incident_id)
    (fired,) = whats(entries, "automatic action triggered")
    assert fired["details"]["rule"] == "automatic aws.iam.deactivate_access_key"
    assert fired["details"]["action"] == "aws.iam.deactivate_access_key"
    assert fired["details"]["target"] == f"aws:access_key:{key_id}"
    assert _by_automatic(fired)
    for what in ("action requested", "action succeeded", "action verified"):
        (entry,) = whats(entries, what)
        assert _by_automatic(entry), what
    order = [e["what"] for e in entries]
    assert order.index("automatic action triggered") < order.index("action requested")
    (succeeded,) = whats(entries, "action succeeded")
    assert isinstance(succeeded["details"]["alert_to_contained_s"], float)
    assert succeeded["details"]["alert_to_contained_s"] >= 0
    contained = [
        e for e in whats(entries, "status changed") if e["after"] == {"status": "contained"}
    ]
    assert len(contained) == 1

    texts = deployment.room_texts(incident_id)
    assert any(
        "Contained automatically" in t and "Undo is on the incident card" in t for t in texts
    )
    card = deployment.card(incident_id)
    assert any(b.action_id.startswith("bw.undo.") for b in card.buttons())

    async with httpx.AsyncClient(base_url=deployment.url, timeout=10) as web:
        metrics = (await web.get("/metrics")).text
    count = re.search(
        r"^blastwall_automatic_alert_to_contained_seconds_count (\S+)$", metrics, re.M
    )
    assert count is not None and float(count.group(1)) >= 1
    assert 'blastwall_automatic_alert_to_contained_seconds_bucket{le="+Inf"}' in metrics

    bundle = tmp_path / "bundle.zip"
    await export_evidence(deployment.settings, incident_id, bundle)
    public = tmp_path / "public.pem"
    public.write_bytes(deployment.replicas[0].wired.public_pem)
    verified = subprocess.run(
        [sys.executable, "-m", "bot.cli", "evidence", "verify", str(bundle), "--key", str(public)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_a_redelivered_alert_on_either_replica_runs_nothing_twice(
    two_replicas: Deployment,
) -> None:
    deployment = two_replicas
    key_id = deployment.aws_key("staging-api")
    body = alert(key_id, "staging-api")
    first = await deployment.alert(body)
    incident_id = first.json()["incident"]
    again = await asyncio.gather(
        deployment.alert(body), deployment.alert(body), deployment.alert(body, replica=1)
    )
    assert {a.json()["incident"] for a in again} == {incident_id}
    await deployment.settle()

    assert deployment.key_status("staging-api", key_id) == "Inactive"
    entries = await deployment.evidence(incident_id)
    assert len(whats(entries, "alert coalesced")) == 3
    assert len(whats(entries, "automatic action triggered")) == 1
    assert len(whats(entries, "action requested")) == 1
    assert len(whats(entries, "action succeeded")) == 1
    assert not whats(entries, "automatic action withheld")


async def _withheld(
    deployment: Deployment, body: dict[str, object], user: str, key_id: str
) -> tuple[str, str]:
    """Post the alert; the key stays Active, and the reason is recorded and said."""
    answer = await deployment.alert(body)
    assert answer.status_code == 202, answer.text
    incident_id = answer.json()["incident"]
    await deployment.settle()
    assert deployment.key_status(user, key_id) == "Active"
    entries = await deployment.evidence(incident_id)
    assert not whats(entries, "automatic action triggered")
    assert not whats(entries, "action requested")
    (held,) = [
        e for e in whats(entries, "automatic action withheld") if key_id in e["details"]["target"]
    ]
    assert _by_automatic(held)
    reason = str(held["details"]["reason"])
    assert held["why"] == reason
    assert any(
        "Not contained automatically" in t and reason in t
        for t in deployment.room_texts(incident_id)
    )
    return incident_id, reason


async def test_an_identity_shared_with_humans_goes_to_a_person(deployment: Deployment) -> None:
    key_id = deployment.aws_key("shared-admin")
    body = alert(key_id, "shared-admin", shared_with_humans=True)
    _, reason = await _withheld(deployment, body, "shared-admin", key_id)
    assert "shared with humans" in reason


async def test_an_action_needing_approval_is_withheld(deployment: Deployment) -> None:
    key_id = deployment.aws_key("gated-ci")
    body = alert(key_id, "gated-ci", source="gated-scanner")
    _, reason = await _withheld(deployment, body, "gated-ci", key_id)
    assert "needs approval" in reason


async def test_an_environment_outside_the_rule_is_withheld(deployment: Deployment) -> None:
    key_id = deployment.aws_key("prod-ci")
    body = {**alert(key_id, "prod-ci"), "environment": "production"}
    _, reason = await _withheld(deployment, body, "prod-ci", key_id)
    assert "production is not an environment this rule acts in" in reason


async def test_the_playbook_flag_switches_it_off(deployment: Deployment) -> None:
    key_id = deployment.aws_key("flagged-ci")
    body = alert(key_id, "flagged-ci", source="flagged-scanner")
    _, reason = await _withheld(deployment, body, "flagged-ci", key_id)
    assert "playbook flagged-keys has automatic containment switched off" in reason


async def test_the_kill_switch_is_honoured_at_once_without_a_restart(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = deployment.aws_key("switch-a")
    first = await deployment.alert(alert(before, "switch-a"))
    await deployment.settle()
    assert deployment.key_status("switch-a", before) == "Inactive"

    monkeypatch.setenv("BLASTWALL_AUTOMATIC", "off")
    during = deployment.aws_key("switch-b")
    _, reason = await _withheld(deployment, alert(during, "switch-b"), "switch-b", during)
    assert "BLASTWALL_AUTOMATIC=off" in reason

    monkeypatch.delenv("BLASTWALL_AUTOMATIC")
    after = deployment.aws_key("switch-c")
    await deployment.alert(alert(after, "switch-c"))
    await deployment.settle()
    assert deployment.key_status("switch-c", after) == "Inactive"
    assert first.status_code == 202


async def test_max_targets_counts_across_coalesced_alerts(deployment: Deployment) -> None:
    keys = [deployment.aws_key(f"fleet-{n}") for n in range(3)]
    first = alert(keys[0], "fleet-0")
    incident_id = (await deployment.alert(first)).json()["incident"]
    await deployment.settle()
    for n in (1, 2):  # each further alert names a known key, so it joins, and a new one
        joined = {**first, "identities": [alert(keys[n], f"fleet-{n}")["identity"]]}
        answer = await deployment.alert(joined)
        assert answer.json() == {"incident": incident_id, "coalesced": True}
        await deployment.settle()

    assert [deployment.key_status(f"fleet-{n}", k) for n, k in enumerate(keys)] == [
        "Inactive",
        "Inactive",
        "Active",
    ]
    entries = await deployment.evidence(incident_id)
    assert len(whats(entries, "automatic action triggered")) == 2
    (held,) = whats(entries, "automatic action withheld")
    assert held["details"]["target"] == f"aws:access_key:{keys[2]}"
    assert "max_targets 2" in held["details"]["reason"]
