"""The alert body ``POST /alerts`` accepts. Unknown fields are refused, not ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Severity

Text = Annotated[str, Field(min_length=1, max_length=200)]


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

    def to_core(self, seal: Callable[[str], str]) -> AffectedIdentity:
        """A leaked ``credential`` attribute is sealed here, before anything stores it."""
        attributes = dict(self.attributes)
        if "credential" in attributes:
            attributes["credential_sealed"] = seal(attributes.pop("credential"))
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
    severity: Severity
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

    def affected(self, seal: Callable[[str], str]) -> tuple[AffectedIdentity, ...]:
        named = ([self.identity] if self.identity else []) + self.identities
        return tuple(i.to_core(seal) for i in named)

    def headline(self) -> str:
        return self.title or self.summary.splitlines()[0][:200]
