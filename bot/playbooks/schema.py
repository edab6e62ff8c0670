"""The playbook schema. Every model forbids unknown fields: a typo is an error, not a no-op."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.core.actions import RiskTier
from bot.core.escalation import StallKind, StepEnd
from bot.core.identities import IdentityKind
from bot.core.incidents import Environment, Severity
from bot.core.roles import Right

Principal = Annotated[
    str, StringConstraints(pattern=r"^(slack|teams|console):[A-Za-z0-9._@-]{1,128}$")
]
Grant = Annotated[
    str,
    StringConstraints(
        pattern=r"^((slack|teams|console):[A-Za-z0-9._@-]{1,128}|group:[a-z0-9][a-z0-9_-]{0,63})$"
    ),
]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
NistCsf = Annotated[str, StringConstraints(pattern=r"^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$")]
OwaspAgentic = Annotated[str, StringConstraints(pattern=r"^ASI(0[1-9]|10)$")]
Maestro = Annotated[str, StringConstraints(pattern=r"^L[1-7]$")]
AiRmf = Annotated[str, StringConstraints(pattern=r"^(GOVERN|MAP|MEASURE|MANAGE)-\d+(\.\d+)?$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentityMatch(Strict):
    systems: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = []
    kinds: list[IdentityKind] = []


class TriggerModel(Strict):
    sources: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = []
    manual: bool = False
    identity: IdentityMatch = IdentityMatch()
    min_severity: Severity = Severity.SEV4
    environments: list[Environment] = []


class RoomModel(Strict):
    """The incident channel: private by default, archived when the incident closes."""

    private: bool = True
    archive_on_close: bool = True


class CommanderModel(Strict):
    user: Principal | None = None
    rotation: list[Principal] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.user is None) == (self.rotation is None):
            raise ValueError("give exactly one of user or rotation")
        return self


class Frameworks(Strict):
    nist_csf: list[NistCsf] = []
    owasp_agentic: list[OwaspAgentic] = []
    maestro_layer: Maestro | None = None
    nist_ai_rmf: list[AiRmf] = []


class ApprovalModel(Strict):
    required: bool = True
    approvers: int = Field(default=1, ge=1, le=5)
    ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)


CONDITIONS = ("severity_at_least", "sources", "identity_kinds", "systems")


class WhenModel(Strict):
    """An automatic rule's condition over the alert: every key given must hold."""

    severity_at_least: Severity = Severity.SEV4
    sources: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = []
    identity_kinds: list[IdentityKind] = []
    systems: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = []

    @model_validator(mode="before")
    @classmethod
    def _known_conditions(cls, data: object) -> object:
        if isinstance(data, dict):
            odd = [str(k) for k in data if k not in CONDITIONS]
            if odd:
                raise ValueError(
                    f"unknown condition {', '.join(map(repr, odd))} "
                    f"(known: {', '.join(CONDITIONS)})"
                )
        return data


class AutomaticModel(Strict):
    """Run the action without a click when ``when`` holds, within the guard rails."""

    when: WhenModel
    max_targets: int = Field(ge=1, le=100)
    environments: list[Environment] = Field(min_length=1)
    unless_shared_with_humans: bool = True


class ActionModel(Strict):
    action: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    label: Annotated[str, StringConstraints(min_length=1, max_length=75)]
    approval: ApprovalModel | None = None
    frameworks: Frameworks = Frameworks()
    automatic: AutomaticModel | None = None
    # Parameters the playbook fixes for every run (a rotation's kv_path); checked
    # against the action's own parameters when the playbook loads.
    params: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
        Annotated[str, StringConstraints(max_length=200)],
    ] = {}


class ApprovalRuleModel(Strict):
    """Playbook-wide: actions matching any of these need approval."""

    risk: list[RiskTier] = []
    irreversible: bool = False
    environment: list[Environment] = []
    shared_with_humans: bool = False
    approvers: int = Field(default=1, ge=1, le=5)
    ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)


class VendorStepModel(Strict):
    id: Slug
    label: Annotated[str, StringConstraints(min_length=1, max_length=75)]


class VendorModel(Strict):
    """The vendor of vendor-managed identities: whom to ask, and what only they can do."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    contact: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    steps: list[VendorStepModel] = []

    @model_validator(mode="after")
    def _unique_steps(self) -> Self:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError("vendor step ids must be unique")
        return self


IdentityKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9_.-]{1,64}:[a-z_]{1,32}:[^\s]{1,256}$")
]
Person = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class StepModel(Strict):
    after_minutes: int = Field(ge=0, le=7 * 24 * 60)
    notify: list[Grant] = []
    end: StepEnd | None = None


class PlaybookModel(Strict):
    name: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: str = ""
    environment: Environment = Environment.PRODUCTION
    trigger: TriggerModel
    default_severity: Severity
    commander: CommanderModel
    groups: dict[Slug, list[Principal]] = {}
    rights: dict[Right, list[Grant]]
    actions: list[ActionModel] = Field(min_length=1)
    escalation: dict[StallKind, list[StepModel]] = {}
    approval: ApprovalRuleModel | None = None
    frameworks: Frameworks = Frameworks()
    room: RoomModel = RoomModel()
    vendor: VendorModel | None = None
    known_users: dict[IdentityKey, list[Person]] = {}
    automatic_enabled: bool = True

    @model_validator(mode="after")
    def _known_kinds(self) -> Self:
        kinds = {k.value for k in IdentityKind}
        odd = [key for key in self.known_users if key.split(":")[1] not in kinds]
        if odd:
            raise ValueError(f"known_users: unknown identity kind in {', '.join(odd)}")
        return self
