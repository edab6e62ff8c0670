"""Our own ``/alerts``: severity words and numbers; and what makes alerts one incident."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.evidence.signing import load_or_create_signing_key, redaction_key
from bot.secrets import build_redactor
from tests.intake.conftest import Intake, payload

pytestmark = pytest.mark.db
TOKEN_VALUE = "ghp_" + "0123456789abcdefghijklmnopqrstuvwxyzAB"  # a fake token


def _alert(severity: object, key_id: str = "AKIAEXAMPLEKEY000001") -> dict[str, object]:
    return {
        "source": "aws-guardduty",
        "summary": "key used from an unknown network",
        "severity": severity,
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("critical", "SEV1"),
        ("High", "SEV2"),
        ("medium", "SEV3"),
        ("low", "SEV4"),
        ("informational", "SEV4"),
        (9.5, "SEV1"),
        (7, "SEV2"),
        (4.0, "SEV3"),
        (0, "SEV4"),
        ("SEV2", "SEV2"),
    ],
)
async def test_severity_words_and_numbers_map_to_sev(
    intake: Intake, given: object, expected: str
) -> None:
    answer = intake.post("/alerts", _alert(given))
    assert answer.status_code == 202, answer.text
    declared = (await intake.evidence(answer.json()["incident"]))[0]
    assert declared["after"]["severity"] == expected


async def test_out_of_scale_severity_and_unknown_fields_are_refused(intake: Intake) -> None:
    for bad in (11, -1, "urgent", True):
        answer = intake.post("/alerts", _alert(bad))
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", "severity"]
    strict = {**_alert("high"), "vendor_field": 1}
    assert intake.post("/alerts", strict).status_code == 422


async def test_a_refused_declaration_has_the_same_detail_shape(intake: Intake) -> None:
    alert = _alert("high")
    alert["source"] = "nobody-listens"
    answer = intake.post("/alerts", alert)
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["type"] == "declaration_refused" and "no playbook" in problem["msg"]


async def test_a_graver_alert_raises_the_severity_and_says_so(intake: Intake) -> None:
    first = intake.post("/alerts", _alert("low")).json()["incident"]
    milder = intake.post("/alerts", _alert(3))
    graver = intake.post("/alerts", _alert("critical"))
    assert milder.json()["incident"] == graver.json()["incident"] == first
    entries = await intake.evidence(first)
    raised = [e for e in entries if e["what"] == "severity raised"]
    assert len(raised) == 1
    assert raised[0]["before"] == {"severity": "SEV4"}
    assert raised[0]["after"] == {"severity": "SEV1"}
    (row,) = await intake.incidents()
    assert row.severity == "SEV1"
    assert [e["what"] for e in entries].count("alert coalesced") == 2


async def test_one_secret_under_two_ids_is_one_incident(intake: Intake) -> None:
    hook = payload("github_secret_scanning_created.json")
    hook["alert"].update(secret_type="github_personal_access_token", secret=TOKEN_VALUE)
    from_github = intake.github(hook).json()["accepted"][0]["incident"]
    other = {
        "source": "github-secret-scanning",
        "summary": "the same token, found by another scanner under its token id",
        "severity": "high",
        "identity": {
            "system": "github",
            "kind": "token",
            "id": "987654",
            "attributes": {"credential": TOKEN_VALUE},
        },
    }
    answer = intake.post("/alerts", other)
    assert answer.json() == {"incident": from_github, "coalesced": True}
    joined = (await intake.evidence(from_github))[-1]
    assert joined["after"] == {**joined["after"], "added": True}
    assert TOKEN_VALUE not in await intake.stored_text()


async def test_an_already_redacted_secret_still_matches_by_its_hash(
    intake: Intake, tmp_path: Path
) -> None:
    """A detector (or a redaction hook in front of us) sends the marker, not the value."""
    hook = payload("github_secret_scanning_created.json")
    hook["alert"].update(secret_type="github_personal_access_token", secret=TOKEN_VALUE)
    from_github = intake.github(hook).json()["accepted"][0]["incident"]
    key = load_or_create_signing_key(tmp_path / "signing.pem")
    marker = build_redactor(redaction_key(key)).redact_text(TOKEN_VALUE)
    assert marker.startswith("[REDACTED:github_token:")
    other = {
        "source": "github-secret-scanning",
        "summary": "seen in a CI log, already redacted",
        "severity": "medium",
        "identity": {
            "system": "github",
            "kind": "token",
            "id": "ci-log-token",
            "attributes": {"credential": marker},
        },
    }
    assert intake.post("/alerts", other).json() == {"incident": from_github, "coalesced": True}


async def test_the_openapi_description_documents_every_answer(intake: Intake) -> None:
    described = httpx.get(f"{intake.url}/openapi.json").json()
    for path in ("/alerts", "/alerts/github", "/alerts/eventbridge", "/alerts/ocsf"):
        operation = described["paths"][path]["post"]
        assert {"202", "401", "422", "503"} <= set(operation["responses"]), path
        assert "requestBody" in operation, path
        refusal = operation["responses"]["422"]["content"]["application/json"]["schema"]
        assert refusal == {"$ref": "#/components/schemas/Refusal"}
    github = described["paths"]["/alerts/github"]["post"]
    assert "x-hub-signature-256" in {p["name"].lower() for p in github["parameters"]}
