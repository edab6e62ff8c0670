"""AWS findings delivered by EventBridge (an API destination), as alerts.

Two kinds of event are read; any other ``detail-type`` is refused with 422:

- ``GuardDuty Finding`` (source ``aws.guardduty``): one finding in ``detail``.
  ``detail.resource.accessKeyDetails.accessKeyId`` names an ``aws/access_key``
  (with its user as owner); without one, the instance profile names an
  ``aws/role``. The numeric severity (0-10) goes through bot.intake.severity.
- ``Security Hub Findings - Imported`` (source ``aws.securityhub``): ASFF, one
  alert per finding in ``detail.findings[]``. ``Resources[]`` of type
  ``AwsIamAccessKey`` / ``AwsIamUser`` / ``AwsIamRole`` name the identities;
  ``Severity.Label`` grades it. A finding whose product is GuardDuty keeps
  ``aws-guardduty`` as its source, so the same playbooks take it.

Fields Blastwall does not read are kept in the alert's details.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.core.identities import IdentityKind
from bot.core.incidents import Severity
from bot.intake import severity
from bot.intake.alert import Alert, AlertIdentity

GUARDDUTY = "GuardDuty Finding"
SECURITY_HUB = "Security Hub Findings - Imported"
ASFF_TYPES: dict[str, tuple[str, IdentityKind]] = {
    "AwsIamAccessKey": ("aws", IdentityKind.ACCESS_KEY),
    "AwsIamUser": ("aws", IdentityKind.USER),
    "AwsIamRole": ("aws", IdentityKind.ROLE),
}


class NamesNoIdentity(ValueError):
    """The finding is about something that is not an identity (a bucket, an instance)."""


class EventBridgeEvent(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    detail_type: str = Field(alias="detail-type", min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=200)
    account: str | None = None
    region: str | None = None
    detail: dict[str, Any]


def to_alerts(event: EventBridgeEvent) -> list[Alert]:
    """One alert per finding; raises NamesNoIdentity when no finding names one."""
    if event.detail_type == GUARDDUTY:
        return [_guardduty(event.detail, event)]
    if event.detail_type == SECURITY_HUB:
        findings = event.detail.get("findings")
        if not isinstance(findings, list) or not findings:
            raise NamesNoIdentity("detail.findings: a Security Hub event carries findings")
        alerts = [a for f in findings if isinstance(f, dict) and (a := _asff(f, event))]
        if not alerts:
            raise NamesNoIdentity("detail.findings[].Resources: no finding names an IAM identity")
        return alerts
    raise NamesNoIdentity(
        f"detail-type: {GUARDDUTY!r} or {SECURITY_HUB!r} is read, not {event.detail_type!r}"
    )


def _guardduty(detail: dict[str, Any], event: EventBridgeEvent) -> Alert:
    resource = _dict(detail.get("resource"))
    key = _dict(resource.get("accessKeyDetails"))
    profile = _dict(_dict(resource.get("instanceDetails")).get("iamInstanceProfile"))
    if _text(key.get("accessKeyId")):
        identity = AlertIdentity(
            system="aws",
            kind=IdentityKind.ACCESS_KEY,
            id=_text(key.get("accessKeyId")),
            owner=_text(key.get("userName")) or None,
            attributes=_strings(key, "principalId", "userName", "userType"),
        )
    elif _text(profile.get("arn")):
        identity = AlertIdentity(system="aws", kind=IdentityKind.ROLE, id=_text(profile.get("arn")))
    else:
        raise NamesNoIdentity(
            "detail.resource: neither accessKeyDetails.accessKeyId nor an instance profile"
        )
    score = detail.get("severity")
    title = _text(detail.get("title")) or _text(detail.get("type")) or "GuardDuty finding"
    return Alert(
        source="aws-guardduty",
        summary=(_text(detail.get("description")) or title)[:4000],
        severity=severity.parse(score if score is not None else 5),
        identity=identity,
        title=title[:200],
        details={"eventbridge": _envelope(event), "finding": detail},
    )


def _asff(finding: dict[str, Any], event: EventBridgeEvent) -> Alert | None:
    identities = [i for r in finding.get("Resources") or [] if (i := _asff_identity(r))]
    if not identities:
        return None
    label = _text(_dict(finding.get("Severity")).get("Label"))
    graded = severity.from_word(label) if label else Severity.SEV3
    product = _text(finding.get("ProductName")).lower()
    title = _text(finding.get("Title")) or "Security Hub finding"
    return Alert(
        source="aws-guardduty" if product == "guardduty" else "aws-securityhub",
        summary=(_text(finding.get("Description")) or title)[:4000],
        severity=graded,
        identities=identities,
        title=title[:200],
        details={"eventbridge": _envelope(event), "finding": finding},
    )


def _asff_identity(resource: object) -> AlertIdentity | None:
    if not isinstance(resource, dict) or resource.get("Type") not in ASFF_TYPES:
        return None
    system, kind = ASFF_TYPES[str(resource["Type"])]
    details = _dict(_dict(resource.get("Details")).get(str(resource["Type"])))
    external = _text(details.get("AccessKeyId")) or _text(resource.get("Id"))
    if kind is IdentityKind.ACCESS_KEY:
        external = external.rsplit(":", 1)[-1]
    if not external:
        return None
    return AlertIdentity(
        system=system,
        kind=kind,
        id=external[:200],
        owner=_text(details.get("PrincipalName")) or None,
        attributes=_strings(details, "PrincipalId", "PrincipalType", "Status", "AccountId"),
    )


def _envelope(event: EventBridgeEvent) -> dict[str, Any]:
    return event.model_dump(mode="json", by_alias=True, exclude={"detail"})


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(source: dict[str, Any], *names: str) -> dict[str, str]:
    return {n: v[:2000] for n in names if isinstance(v := source.get(n), str) and v}
