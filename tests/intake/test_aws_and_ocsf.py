"""``POST /alerts/eventbridge`` (GuardDuty, Security Hub) and ``POST /alerts/ocsf``."""

from __future__ import annotations

import httpx
import pytest

from tests.intake.conftest import Intake, payload

pytestmark = pytest.mark.db
KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def _identities(entry: dict[str, object]) -> set[tuple[str, str, str]]:
    after = entry["after"]
    assert isinstance(after, dict)
    return {(i["system"], i["kind"], i["external_id"]) for i in after["identities"]}


async def test_a_guardduty_finding_names_the_access_key(intake: Intake) -> None:
    answer = intake.post("/alerts/eventbridge", payload("guardduty_finding.json"))
    assert answer.status_code == 202, answer.text
    (accepted,) = answer.json()["accepted"]
    declared = (await intake.evidence(accepted["incident"]))[0]
    assert _identities(declared) == {("aws", "access_key", KEY_ID)}
    assert declared["after"]["severity"] == "SEV2", "GuardDuty 8 is high"
    assert declared["details"]["source"] == "aws-guardduty"
    finding = declared["details"]["alert"]["finding"]
    assert finding["service"]["action"]["actionType"] == "AWS_API_CALL"


async def test_security_hub_findings_join_the_guardduty_incident(intake: Intake) -> None:
    first = intake.post("/alerts/eventbridge", payload("guardduty_finding.json"))
    incident = first.json()["accepted"][0]["incident"]
    answer = intake.post("/alerts/eventbridge", payload("securityhub_findings_imported.json"))
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == [{"incident": incident, "coalesced": True}]
    entries = await intake.evidence(incident)
    assert entries[-1]["what"] == "alert coalesced"
    assert entries[-1]["after"]["identity"]["owner"] == "ci-deployer"


async def test_an_ocsf_detection_finding_is_graded_by_severity_id(intake: Intake) -> None:
    answer = intake.post("/alerts/ocsf", payload("ocsf_detection_finding.json"))
    assert answer.status_code == 202, answer.text
    incident = answer.json()["accepted"][0]["incident"]
    declared = (await intake.evidence(incident))[0]
    assert declared["after"]["severity"] == "SEV1"
    assert _identities(declared) == {
        ("aws", "user", "arn:aws:iam::123456789012:user/ci-deployer"),
        ("aws", "access_key", KEY_ID),
    }
    kept = declared["details"]["alert"]["ocsf"]
    assert kept["metadata"]["product"]["name"] == "Example Cloud Detector"
    assert kept["src_endpoint"] == {"ip": "198.51.100.9"}


async def test_vendor_doors_refuse_what_they_cannot_read(intake: Intake) -> None:
    other = payload("guardduty_finding.json")
    other["detail-type"] = "EC2 Instance State-change Notification"
    bucket = payload("guardduty_finding.json")
    bucket["detail"]["resource"] = {"resourceType": "S3Bucket"}
    off_scale = payload("guardduty_finding.json")
    off_scale["detail"]["severity"] = 12
    unlabelled = payload("securityhub_findings_imported.json")
    unlabelled["detail"]["findings"][0]["Severity"]["Label"] = "SEVERE"
    not_2004 = payload("ocsf_detection_finding.json")
    not_2004["class_uid"] = 3002
    for path, body, where in [
        ("/alerts/eventbridge", other, ["body", "detail"]),
        ("/alerts/eventbridge", bucket, ["body", "detail"]),
        ("/alerts/eventbridge", off_scale, ["body", "detail"]),
        ("/alerts/eventbridge", unlabelled, ["body", "detail"]),
        ("/alerts/ocsf", not_2004, ["body", "class_uid"]),
    ]:
        answer = intake.post(path, body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == where
    assert await intake.incidents() == []


async def test_bearer_doors_refuse_without_the_token(intake: Intake) -> None:
    for path in ("/alerts/eventbridge", "/alerts/ocsf"):
        answer = httpx.post(f"{intake.url}{path}", json=payload("guardduty_finding.json"))
        assert answer.status_code == 401
        assert isinstance(answer.json()["detail"], str)
    assert await intake.incidents() == []
