"""``POST /alerts/github`` without the leaked value: GitHub's documented webhook
omits ``alert.secret``, so the door reads the alert from the REST API as the App."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_api import GitHubStandIn
from tests.fakes.servers import ServedApp
from tests.intake.conftest import HOOK_SECRET, TOKEN, Intake, payload, serve

pytestmark = pytest.mark.db
REPO = "octo-org/hello-world"
NUMBER = 42
KEY_ID = "AKIAI44QH8DHBEXAMPLE"
GITHUB_TOKEN = "ghp_" + "zyxwvutsrqponmlkjihgfedcba9876543210"  # a fake token


@dataclass
class Rig:
    intake: Intake
    github: GitHubStandIn
    configured: str  # BLASTWALL_GITHUB_INSTALLATION_ID
    other: str  # another installation of the same App


@pytest.fixture
def rig(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    github = GitHubStandIn()
    configured, other = github.add_installation("octo-org"), github.add_installation("octo-2")
    (tmp_path / "github-app.pem").write_text(github.private_key_pem())
    with ServedApp(github.app) as api:
        monkeypatch.setenv("BLASTWALL_GITHUB_APP_ID", github.app_id)
        monkeypatch.setenv("BLASTWALL_GITHUB_APP_PRIVATE_KEY", str(tmp_path / "github-app.pem"))
        monkeypatch.setenv("BLASTWALL_GITHUB_INSTALLATION_ID", configured)
        monkeypatch.setenv("BLASTWALL_GITHUB_API_URL", api.url)
        for intake in serve(
            tmp_path, database_url, intake_token=TOKEN, github_webhook_secret=HOOK_SECRET
        ):
            yield Rig(intake, github, configured, other)


def without_secret(installation: str | None, **alert: Any) -> dict[str, Any]:
    """The webhook as GitHub documents it: no ``alert.secret``."""
    hook = payload("github_secret_scanning_created.json")
    del hook["alert"]["secret"]
    hook["alert"].update(alert)
    hook.pop("installation", None)
    if installation is not None:
        hook["installation"] = {"id": int(installation), "node_id": "MDIzOkludGVncmF0aW9u"}
    return hook


async def declared(rig: Rig, hook: dict[str, Any]) -> dict[str, Any]:
    answer = rig.intake.github(hook)
    assert answer.status_code == 202, answer.text
    (accepted,) = answer.json()["accepted"]
    entry: dict[str, Any] = (await rig.intake.evidence(accepted["incident"]))[0]
    assert entry["what"] == "incident declared"
    return entry


async def test_the_aws_key_id_comes_from_the_rest_answer(rig: Rig) -> None:
    rig.github.add_secret_alert(REPO, NUMBER, "aws_access_key_id", KEY_ID)
    entry = await declared(rig, without_secret(rig.other))
    (identity,) = entry["after"]["identities"]
    assert (identity["system"], identity["kind"], identity["external_id"]) == (
        "aws",
        "access_key",
        KEY_ID,
    )
    assert identity["attributes"]["credential_sealed"]
    assert rig.github.alert_reads == [rig.other], "as the installation the webhook names"
    details = entry["details"]["alert"]
    assert details["secret_lookup"]["outcome"] == "read"
    assert "secret" not in details["github"]["alert"]


async def test_a_token_read_from_the_api_is_sealed_never_stored_in_the_clear(rig: Rig) -> None:
    rig.github.add_secret_alert(REPO, NUMBER, "github_personal_access_token", GITHUB_TOKEN)
    hook = without_secret(None, secret_type="github_personal_access_token")
    entry = await declared(rig, hook)
    (identity,) = entry["after"]["identities"]
    assert (identity["system"], identity["kind"]) == ("github", "token")
    assert identity["external_id"].startswith("sha:")
    assert rig.github.alert_reads == [rig.configured], "no installation in the webhook"
    assert GITHUB_TOKEN not in await rig.intake.stored_text()


async def test_an_unknown_alert_falls_back_to_the_alert_number(rig: Rig) -> None:
    entry = await declared(rig, without_secret(rig.configured))
    (identity,) = entry["after"]["identities"]
    assert identity["external_id"] == f"{REPO}#{NUMBER}"
    lookup = entry["details"]["alert"]["secret_lookup"]
    assert lookup["outcome"] == "failed"
    assert "not found" in lookup["reason"]


async def test_github_unavailable_still_takes_the_alert(rig: Rig) -> None:
    rig.github.add_secret_alert(REPO, NUMBER, "aws_access_key_id", KEY_ID)
    rig.github.fail_next(2, 502)
    entry = await declared(rig, without_secret(rig.configured))
    (identity,) = entry["after"]["identities"]
    assert identity["external_id"] == f"{REPO}#{NUMBER}"
    assert entry["details"]["alert"]["secret_lookup"]["outcome"] == "failed"


async def test_a_webhook_with_the_value_reads_nothing(rig: Rig) -> None:
    hook = payload("github_secret_scanning_created.json")
    hook["alert"]["secret"] = KEY_ID
    entry = await declared(rig, hook)
    assert entry["after"]["identities"][0]["external_id"] == KEY_ID
    assert rig.github.alert_reads == []
    assert "secret_lookup" not in entry["details"]["alert"]


async def test_resolved_reads_the_value_too_and_lands_on_the_open_incident(rig: Rig) -> None:
    rig.github.add_secret_alert(REPO, NUMBER, "aws_access_key_id", KEY_ID)
    first = rig.intake.github(without_secret(rig.configured)).json()["accepted"][0]
    hook = without_secret(rig.configured, resolution="revoked")
    hook["action"] = "resolved"
    resolved = rig.intake.github(hook)
    assert resolved.status_code == 202, resolved.text
    assert resolved.json()["accepted"][0]["incident"] == first["incident"]
    whats = [e["what"] for e in await rig.intake.evidence(first["incident"])]
    assert whats.count("alert resolved at source") == 1
