"""An OCSF Detection Finding (class_uid 2004), as an alert.

Identities come from ``resources[]`` and from ``actor.user``:

| OCSF                                                   | identity                      |
|--------------------------------------------------------|-------------------------------|
| a resource typed ``AWS::IAM::AccessKey`` / ``AwsIamAccessKey`` | ``aws/access_key``, its ``uid`` |
| ``AWS::IAM::User`` / ``AwsIamUser``                    | ``aws/user``                  |
| ``AWS::IAM::Role`` / ``AwsIamRole``                    | ``aws/role``                  |
| ``actor.user.credential_uid`` (an access key id)       | ``<cloud>/access_key``        |
| ``actor.user.uid`` of a non-human ``type`` (service, bot, agent) | ``<cloud>/service_account`` |

``<cloud>`` is ``cloud.provider`` lower-cased (``aws`` when absent).
``severity_id`` grades it (bot.intake.severity). The source is ``ocsf``; the
product that found it is in the details, with every field not read here.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.identities import IdentityKind
from bot.intake import severity
from bot.intake.alert import Alert, AlertIdentity
from bot.intake.eventbridge import NamesNoIdentity

SOURCE = "ocsf"
RESOURCE_TYPES: dict[str, tuple[str, IdentityKind]] = {
    "aws::iam::accesskey": ("aws", IdentityKind.ACCESS_KEY),
    "awsiamaccesskey": ("aws", IdentityKind.ACCESS_KEY),
    "aws::iam::user": ("aws", IdentityKind.USER),
    "awsiamuser": ("aws", IdentityKind.USER),
    "aws::iam::role": ("aws", IdentityKind.ROLE),
    "awsiamrole": ("aws", IdentityKind.ROLE),
}
NON_HUMAN = ("service", "system", "bot", "agent", "machine", "application")


class FindingInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    uid: str = Field(min_length=1, max_length=500)
    title: str | None = Field(default=None, max_length=4000)
    desc: str | None = Field(default=None, max_length=4000)


class DetectionFinding(BaseModel):
    """The fields read; OCSF's others (metadata, time, observables ...) are kept as details."""

    model_config = ConfigDict(extra="allow")

    class_uid: Literal[2004]
    severity_id: int = Field(ge=0, le=99)
    severity: str | None = Field(default=None, max_length=64)
    finding_info: FindingInfo
    resources: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    actor: dict[str, Any] | None = None
    cloud: dict[str, Any] | None = None
    message: str | None = Field(default=None, max_length=4000)


def to_alert(finding: DetectionFinding) -> Alert:
    provider = _text((finding.cloud or {}).get("provider")).lower()
    cloud = re.sub(r"[^a-z0-9_.-]+", "-", provider).strip("-") or "aws"
    named = [i for r in finding.resources if (i := _resource(r))] + _actor(finding.actor, cloud)
    if not named:
        raise NamesNoIdentity(
            "resources / actor.user: the finding names no identity Blastwall can act on"
        )
    info = finding.finding_info
    title = info.title or finding.message or f"OCSF detection finding {info.uid}"
    return Alert(
        source=SOURCE,
        summary=(info.desc or finding.message or title)[:4000],
        severity=severity.from_ocsf(finding.severity_id, finding.severity),
        identities=named,
        title=title[:200],
        details={"ocsf": finding.model_dump(mode="json")},
    )


def _resource(resource: dict[str, Any]) -> AlertIdentity | None:
    found = RESOURCE_TYPES.get(_text(resource.get("type")).lower())
    uid = _text(resource.get("uid")) or _text(resource.get("name"))
    if found is None or not uid:
        return None
    system, kind = found
    if kind is IdentityKind.ACCESS_KEY:
        uid = uid.rsplit(":", 1)[-1]
    owner = _text(_dict(resource.get("owner")).get("name")) or None
    return AlertIdentity(system=system, kind=kind, id=uid[:200], owner=owner)


def _actor(actor: dict[str, Any] | None, cloud: str) -> list[AlertIdentity]:
    user = _dict((actor or {}).get("user"))
    name = _text(user.get("name"))[:200] or None
    key = _text(user.get("credential_uid"))
    if key:
        return [AlertIdentity(system=cloud, kind=IdentityKind.ACCESS_KEY, id=key[:200], owner=name)]
    uid, kind = _text(user.get("uid")), _text(user.get("type")).lower()
    if uid and any(word in kind for word in NON_HUMAN):
        return [
            AlertIdentity(system=cloud, kind=IdentityKind.SERVICE_ACCOUNT, id=uid[:200], owner=name)
        ]
    return []


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
