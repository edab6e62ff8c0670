"""The playbook as the core sees it: who holds which right, what is offered, what matches.

YAML parsing and schema validation live in ``bot.playbooks``; this is the
validated result, so the rules here can trust their input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.actions import ActionSpec, Reversibility
from bot.core.actors import AUTOMATIC, Actor
from bot.core.escalation import DEFAULT_LADDERS, StallKind, Step
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Severity
from bot.core.roles import Right


@dataclass(frozen=True)
class Trigger:
    """Which alerts this playbook takes. Empty sets mean "any"."""

    sources: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()
    kinds: frozenset[IdentityKind] = frozenset()
    min_severity: Severity = Severity.SEV4
    manual: bool = False
    environments: frozenset[Environment] = frozenset()

    def matches(
        self,
        source: str,
        system: str,
        kind: IdentityKind,
        severity: Severity,
        environment: Environment = Environment.PRODUCTION,
    ) -> bool:
        return (
            (not self.sources or source in self.sources)
            and (not self.systems or system in self.systems)
            and (not self.kinds or kind in self.kinds)
            and (not self.environments or environment in self.environments)
            and severity.at_least(self.min_severity)
        )


@dataclass(frozen=True)
class RoomSettings:
    """The incident's chat room: private unless the playbook says otherwise (who is
    investigating what leak is itself sensitive), archived once the incident closes."""

    private: bool = True
    archive_on_close: bool = True


@dataclass(frozen=True)
class VendorStep:
    id: str
    label: str


@dataclass(frozen=True)
class Vendor:
    """Who executes some steps for a vendor-managed identity. The steps are requested
    of them and confirmed by the commander with their reference: accountability
    (command, approvals) stays with the people here."""

    name: str
    contact: str
    steps: tuple[VendorStep, ...] = ()

    def step(self, step_id: str) -> VendorStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(frozen=True)
class FrameworkRefs:
    nist_csf: tuple[str, ...] = ()
    owasp_agentic: tuple[str, ...] = ()
    maestro_layer: str | None = None
    nist_ai_rmf: tuple[str, ...] = ()

    def as_record(self) -> dict[str, object]:
        """The refs as an evidence entry carries them (``details["frameworks"]``): every
        framework present, each a list, so an auditor sums them without special cases."""
        return {
            "nist_csf": list(self.nist_csf),
            "owasp_agentic": list(self.owasp_agentic),
            "maestro_layer": [self.maestro_layer] if self.maestro_layer else [],
            "nist_ai_rmf": list(self.nist_ai_rmf),
        }


@dataclass(frozen=True)
class ApprovalPolicy:
    """Four-eyes: how many holders of ``approve`` must agree, and for how long it holds."""

    approvers: int = 1
    ttl_minutes: int = 30


@dataclass(frozen=True)
class ApprovalRule:
    """Playbook-wide four-eyes: any matching condition gates an action behind approval."""

    policy: ApprovalPolicy
    risks: frozenset[str] = frozenset()  # risk tiers: high, critical, ...
    irreversible: bool = False
    environments: frozenset[Environment] = frozenset()
    shared_with_humans: bool = False

    def applies(
        self, spec: ActionSpec, identity: AffectedIdentity | None, environment: Environment
    ) -> bool:
        return (
            spec.risk.value in self.risks
            or (self.irreversible and spec.reversibility is Reversibility.IRREVERSIBLE)
            or environment in self.environments
            or (self.shared_with_humans and identity is not None and identity.shared_with_humans)
        )


@dataclass(frozen=True)
class AlertCondition:
    """A rule's ``when``: which alerts it fires on. Empty sets mean "any"."""

    severity_at_least: Severity = Severity.SEV4
    sources: frozenset[str] = frozenset()
    identity_kinds: frozenset[IdentityKind] = frozenset()
    systems: frozenset[str] = frozenset()

    def holds(self, source: str, severity: Severity, identity: AffectedIdentity) -> bool:
        return (
            severity.at_least(self.severity_at_least)
            and (not self.sources or source in self.sources)
            and (not self.identity_kinds or identity.kind in self.identity_kinds)
            and (not self.systems or identity.system in self.systems)
        )


@dataclass(frozen=True)
class AutomaticRule:
    """An offered action that runs without a click, within guard rails: at most
    ``max_targets`` identities per incident, only in ``environments``, and (unless told
    otherwise) never on an identity people share."""

    when: AlertCondition
    max_targets: int
    environments: frozenset[Environment]
    unless_shared_with_humans: bool = True


@dataclass(frozen=True)
class OfferedAction:
    action_id: str
    label: str
    automatic: AutomaticRule | None = None
    frameworks: FrameworkRefs = FrameworkRefs()
    approval: ApprovalPolicy | None = None
    approval_waived: bool = False  # ``approval: {required: false}``: the playbook rule skips it
    params: tuple[tuple[str, str], ...] = ()  # fixed by the playbook, not by who clicks


@dataclass(frozen=True)
class Playbook:
    name: str
    title: str
    trigger: Trigger
    default_severity: Severity
    commander: tuple[str, ...]  # one principal, or a rotation list
    rights: dict[Right, frozenset[str]]
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    actions: tuple[OfferedAction, ...] = ()
    environment: Environment = Environment.PRODUCTION
    frameworks: FrameworkRefs = FrameworkRefs()
    escalation: dict[StallKind, tuple[Step, ...]] = field(default_factory=dict)
    approval_rule: ApprovalRule | None = None
    room: RoomSettings = RoomSettings()
    vendor: Vendor | None = None
    known_users: dict[str, tuple[str, ...]] = field(default_factory=dict)  # identity key: people
    automatic_enabled: bool = True  # the playbook's kill switch for its automatic rules

    def approval_for(
        self, spec: ActionSpec, identity: AffectedIdentity | None, environment: Environment
    ) -> ApprovalPolicy | None:
        """The action's own approval setting, else the playbook's rule when it matches."""
        offered = self.offered(spec.id)
        if offered is not None and offered.approval is not None:
            return offered.approval
        if offered is not None and offered.approval_waived:
            return None
        rule = self.approval_rule
        if rule is not None and rule.applies(spec, identity, environment):
            return rule.policy
        return None

    def expand(self, grants: frozenset[str] | tuple[str, ...]) -> frozenset[str]:
        """Principals, with ``group:NAME`` entries replaced by the group's members."""
        principals: set[str] = set()
        for grant in grants:
            if grant.startswith("group:"):
                principals |= self.groups.get(grant.removeprefix("group:"), frozenset())
            else:
                principals.add(grant)
        return frozenset(principals)

    def holders(self, right: Right) -> frozenset[str]:
        """Every principal holding ``right``."""
        return self.expand(self.rights.get(right, frozenset()))

    def ladder(self, kind: StallKind) -> tuple[Step, ...]:
        return self.escalation.get(kind) or DEFAULT_LADDERS[kind]

    def holds(self, actor: Actor, right: Right) -> bool:
        return actor.principal in self.holders(right)

    def responders(self) -> frozenset[str]:
        """Everyone granted any right: they are invited to the incident's room."""
        everyone: set[str] = set()
        for right in self.rights:
            everyone |= self.holders(right)
        return frozenset(everyone)

    def commander_on(self, at: datetime) -> str:
        """The commander for a declaration at ``at``: rotations turn over weekly."""
        week = at.isocalendar().week
        return self.commander[week % len(self.commander)]

    def offered(self, action_id: str) -> OfferedAction | None:
        return next((a for a in self.actions if a.action_id == action_id), None)

    def automatic_rules(self) -> tuple[tuple[OfferedAction, AutomaticRule], ...]:
        """The offered actions that run by themselves, with their rules."""
        return tuple((a, a.automatic) for a in self.actions if a.automatic is not None)

    def authorizes(self, actor: Actor, right: Right, action_id: str) -> bool:
        """A holder of ``right``; or Blastwall's automatic actor, for an action this
        playbook runs automatically (its authority is the playbook's rule)."""
        if self.holds(actor, right):
            return True
        offered = self.offered(action_id)
        return (
            actor == AUTOMATIC
            and self.automatic_enabled
            and offered is not None
            and offered.automatic is not None
        )

    def params_for(self, action_id: str, given: dict[str, str]) -> dict[str, str]:
        """The parameters a run uses: what was given, with the playbook's fixed ones."""
        offered = self.offered(action_id)
        return {**given, **dict(offered.params if offered else ())}

    def param_conflict(self, action_id: str, given: dict[str, str]) -> str | None:
        """Why ``given`` may not be used: it sets a parameter the playbook fixes otherwise
        (where a new secret is delivered is the playbook's choice, not the clicker's)."""
        offered = self.offered(action_id)
        for name, value in offered.params if offered else ():
            if name in given and given[name] != value:
                return f"parameter {name!r} of {action_id} is fixed by the playbook"
        return None

    def action_frameworks(self, action_id: str) -> FrameworkRefs:
        """The offered action's references; none for an action this playbook does not offer."""
        offered = self.offered(action_id)
        return offered.frameworks if offered is not None else FrameworkRefs()
