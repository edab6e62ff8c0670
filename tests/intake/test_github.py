"""``POST /alerts/github``: GitHub's signed secret_scanning_alert webhook."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.intake.conftest import HOOK_SECRET, Intake, payload, signed

pytestmark = pytest.mark.db
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"  # a fake token


async def test_a_created_alert_opens_an_incident_about_the_aws_key(intake: Intake) -> None:
    answer = intake.github(payload("github_secret_scanning_created.json"))
    assert answer.status_code == 202, answer.text
    (accepted,) = answer.json()["accepted"]
    assert accepted["coalesced"] is False
    entries = await intake.evidence(accepted["incident"])
    declared = entries[0]
    assert declared["what"] == "incident declared"
    (identity,) = declared["after"]["identities"]
    assert (identity["system"], identity["kind"], identity["external_id"]) == (
        "aws",
        "access_key",
        KEY_ID,
    )
    assert identity["attributes"]["repository"] == "octo-org/hello-world"
    assert declared["after"]["severity"] == "SEV2"
    github = declared["details"]["alert"]["github"]
    assert github["alert"]["provider_slug"] == "aws", "unknown vendor fields are kept"
    assert "secret" not in github["alert"]
    assert set(github["repository"]) <= {"id", "full_name", "html_url", "private"}


async def test_a_leaked_token_is_sealed_and_never_stored_in_the_clear(intake: Intake) -> None:
    hook = payload("github_secret_scanning_created.json")
    hook["alert"].update(
        secret_type="github_personal_access_token",
        secret_type_display_name="GitHub Personal Access Token",
        secret=GITHUB_TOKEN,
        publicly_leaked=True,
    )
    answer = intake.github(hook)
    assert answer.status_code == 202, answer.text
    incident = answer.json()["accepted"][0]["incident"]
    declared = (await intake.evidence(incident))[0]
    (identity,) = declared["after"]["identities"]
    assert (identity["system"], identity["kind"]) == ("github", "token")
    assert identity["external_id"].startswith("sha:")
    assert identity["attributes"]["credential_sealed"]
    assert declared["after"]["severity"] == "SEV1", "publicly leaked is critical"
    assert GITHUB_TOKEN not in await intake.stored_text()


async def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(
    intake: Intake,
) -> None:
    body = json.dumps(payload("github_secret_scanning_created.json")).encode()
    url = f"{intake.url}/alerts/github"
    forged = signed(body, secret="not-" + HOOK_SECRET)
    unsigned = {k: v for k, v in signed(body).items() if k != "X-Hub-Signature-256"}
    tampered = signed(body)
    assert httpx.post(url, content=body, headers=forged).status_code == 401
    assert httpx.post(url, content=body, headers=unsigned).status_code == 401
    assert httpx.post(url, content=body + b" ", headers=tampered).status_code == 401
    assert httpx.post(url, content=b"{not json", headers=unsigned).status_code == 401
    assert await intake.incidents() == []


async def test_an_unset_webhook_secret_closes_the_door(intake_off: Intake) -> None:
    body = json.dumps(payload("github_secret_scanning_created.json")).encode()
    answer = httpx.post(f"{intake_off.url}/alerts/github", content=body, headers=signed(body))
    assert answer.status_code == 503
    assert "BLASTWALL_GITHUB_WEBHOOK_SECRET" in answer.json()["detail"]


async def test_reopened_joins_and_resolved_is_recorded_on_the_open_incident(
    intake: Intake,
) -> None:
    hook = payload("github_secret_scanning_created.json")
    first = intake.github(hook).json()["accepted"][0]["incident"]
    hook["action"] = "reopened"
    again = intake.github(hook).json()["accepted"][0]
    assert again == {"incident": first, "coalesced": True}
    hook["action"] = "resolved"
    hook["alert"].update(resolution="revoked", resolved_at="2026-11-30T17:00:00Z")
    resolved = intake.github(hook)
    assert resolved.status_code == 202
    assert resolved.json()["accepted"][0]["incident"] == first
    whats = [e["what"] for e in await intake.evidence(first)]
    assert whats.count("alert coalesced") == 1
    assert whats.count("alert resolved at source") == 1
    assert len(await intake.incidents()) == 1


async def test_resolved_without_an_open_incident_opens_none(intake: Intake) -> None:
    hook = payload("github_secret_scanning_created.json")
    hook["action"] = "resolved"
    answer = intake.github(hook)
    assert answer.status_code == 202
    assert answer.json() == {"accepted": [], "ignored": "no open incident is about this secret"}
    assert await intake.incidents() == []


async def test_ping_and_redelivery_change_nothing(intake: Intake) -> None:
    hook = payload("github_secret_scanning_created.json")
    ping = intake.github({"zen": "Design for failure.", "hook_id": 1}, **{"X-GitHub-Event": "ping"})
    assert ping.status_code == 202 and ping.json()["accepted"] == []
    once = intake.github(hook, **{"X-GitHub-Delivery": "d-1"})
    twice = intake.github(hook, **{"X-GitHub-Delivery": "d-1"})
    assert once.status_code == twice.status_code == 202
    assert twice.json()["ignored"] == "delivery already received"
    incident = once.json()["accepted"][0]["incident"]
    assert [e["what"] for e in await intake.evidence(incident)].count("alert coalesced") == 0


async def test_a_signed_but_malformed_webhook_names_the_field(intake: Intake) -> None:
    hook = payload("github_secret_scanning_created.json")
    del hook["alert"]["secret_type"]
    answer = intake.github(hook)
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", "alert", "secret_type"]


async def test_the_secret_type_names_the_identity(intake: Intake) -> None:
    hook = payload("github_secret_scanning_created.json")
    hook["alert"].update(secret_type="slack_api_token", secret="xoxb-" + "1" * 24)
    answer = intake.github(hook)
    assert answer.status_code == 422, "no playbook here takes slack/token"
    assert "slack/token" in answer.json()["detail"][0]["msg"]


async def test_without_the_value_the_alert_itself_names_the_identity(intake: Intake) -> None:
    """GitHub's webhook may omit the secret: the incident still opens, named by the alert."""
    hook = payload("github_secret_scanning_created.json")
    del hook["alert"]["secret"]
    answer = intake.github(hook)
    assert answer.status_code == 202, answer.text
    declared = (await intake.evidence(answer.json()["accepted"][0]["incident"]))[0]
    (identity,) = declared["after"]["identities"]
    assert identity["external_id"] == "octo-org/hello-world#42"
    assert "credential_sealed" not in identity["attributes"]
