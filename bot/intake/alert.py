"""The alert body ``POST /alerts`` accepts. Unknown fields are refused, not ignored.

Vendor formats (bot.intake.github, .eventbridge, .ocsf) are translated into this
same model, so there is one path from an alert to an incident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment
from bot.intake.severity import AnySeverity

SECRET_HASH = "secret_hash"  # noqa: S105 (the attribute's name, not a secret)
_MARKER = re.compile(r"\[REDACTED:[a-z_]+:([0-9a-f]{16})\]")

Text = Annotated[str, Field(min_length=1, max_length=200)]


@dataclass(frozen=True)
class Keys:
    """What intake needs of the deployment's keys: seal a credential, hash a secret."""

    seal: Callable[[str], str]
    fingerprint: Callable[[str], str]


class AlertIdentity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    kind: IdentityKind
    id: Text
    owner: Text | None = None
    workload: Text | None = None
    issuing_system: Text | None = None
    shared_with_humans: bool = False
    vendor_managed: bool = False
    attributes: dict[str, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, max_length=32
    )

    def to_core(self, keys: Keys) -> AffectedIdentity:
        """A leaked ``credential`` attribute is sealed here, before anything stores it.

        Its keyed hash (the one redaction markers carry) becomes ``secret_hash``, so
        the same secret reported under two ids joins one incident. A credential that
        arrives already redacted still gives its hash, from the marker.
        """
        attributes = dict(self.attributes)
        attributes.pop(SECRET_HASH, None)
        credential = attributes.pop("credential", None)
        if credential:
            marker = _MARKER.fullmatch(credential)
            if marker:
                attributes[SECRET_HASH] = marker.group(1)
            else:
                attributes["credential_sealed"] = keys.seal(credential)
                attributes[SECRET_HASH] = keys.fingerprint(credential)
        return AffectedIdentity(
            system=self.system,
            kind=self.kind,
            external_id=self.id,
            owner=self.owner,
            workload=self.workload,
            issuing_system=self.issuing_system,
            shared_with_humans=self.shared_with_humans,
            vendor_managed=self.vendor_managed,
            attributes=tuple(sorted(attributes.items())),
        )


class Alert(BaseModel):
    """What a detector sends: at least a source, a summary, a severity and an identity."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
    summary: Annotated[str, Field(min_length=1, max_length=4000)]
    severity: AnySeverity
    identity: AlertIdentity | None = None
    identities: list[AlertIdentity] = Field(default_factory=list, max_length=500)
    title: Text | None = None
    environment: Environment | None = None
    details: dict[str, object] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_an_identity(self) -> Alert:
        if self.identity is None and not self.identities:
            raise ValueError("an alert must name the affected identity (identity or identities)")
        return self

    def affected(self, keys: Keys) -> tuple[AffectedIdentity, ...]:
        named = ([self.identity] if self.identity else []) + self.identities
        return tuple(i.to_core(keys) for i in named)

    def headline(self) -> str:
        return self.title or self.summary.splitlines()[0][:200]
