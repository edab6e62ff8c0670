"""The dry run as a responder reads it before pressing Run: each change as "before →
after" in words, how risky and how reversible it is, who must approve, and, when the
target cannot be read (missing credentials, an unconfigured system), why not and how
to fix it, so nobody runs what nobody could preview.

The connector's ``plan`` changes nothing; the same ``RequestAction`` handler decides
on the click, so what is shown here is a reading aid, never a permission.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.core.actions import ActionPlan, ActionSpec, Reversibility
from bot.core.actors import Actor
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident
from bot.core.roles import Right
from bot.service.context import Services
from bot.service.plain_words import field_name, identity_label, plural, value_text

EVERY_TARGET = "*"
REVERSIBILITY = {
    Reversibility.TOGGLE: "reversible: Undo switches it back",
    Reversibility.RESTORE_FROM_SNAPSHOT: "reversible: Undo restores the state saved before",
    Reversibility.IRREVERSIBLE: "irreversible: there is no undo",
    Reversibility.EXPIRES: "expires by itself; Undo lifts it early",
}


@dataclass(frozen=True)
class Change:
    subject: str
    field: str
    before: str
    after: str

    @property
    def sentence(self) -> str:
        name = f"{self.field} " if self.field else ""
        return f"{self.subject}: {name}{self.before} → {self.after}"


@dataclass(frozen=True)
class DryRun:
    incident: Incident
    spec: ActionSpec
    target: str
    target_label: str
    changes: tuple[Change, ...]
    reversibility: str
    approval: str
    nothing_to_do: str | None = None  # already in that state
    problem: str | None = None  # the target could not be read, and how to fix it
    not_yours: str | None = None  # the viewer does not hold the right

    @property
    def blocked(self) -> str | None:
        """Why Run is not offered, or None."""
        return self.problem or self.not_yours or self.nothing_to_do


async def dry_run(
    svc: Services, incident: Incident, action: str, target: str, actor: Actor
) -> DryRun | None:
    """None when the action is not offered here or the target is not in the incident."""
    playbook = svc.playbooks.get(incident.playbook)
    spec = svc.catalogue.get(action)
    identity = incident.identity(target)
    if playbook is None or spec is None or playbook.offered(action) is None:
        return None
    if identity is None and target != EVERY_TARGET:
        return None
    policy = playbook.approval_for(spec, identity, incident.environment)
    approvers = sorted(playbook.holders(Right.APPROVE) - {actor.principal})
    approval = (
        f"needs {plural(policy.approvers, 'approval')} within {policy.ttl_minutes} minutes "
        f"from {', '.join(approvers) or 'nobody: no one else holds approve'}"
        if policy
        else "runs at once: this playbook needs no approval for it"
    )
    shown = DryRun(
        incident,
        spec,
        target,
        identity_label(identity) if identity else "every affected identity it fits",
        (),
        REVERSIBILITY[spec.reversibility],
        approval,
        not_yours=None
        if playbook.holds(actor, spec.right)
        else f"you do not hold {spec.right.value}, which running this needs",
    )
    return await _planned(svc, shown, identity) if identity is not None else shown


async def _planned(svc: Services, shown: DryRun, identity: AffectedIdentity) -> DryRun:
    spec = shown.spec
    connector = svc.connectors.get(spec.connector)
    if connector is None:
        return replace(shown, problem=_unconfigured(identity))
    playbook = svc.playbooks[shown.incident.playbook]
    try:
        plan = await connector.plan(spec.id, identity, playbook.params_for(spec.id, {}))
    except Exception as exc:
        said = str(svc.redact({"error": f"{type(exc).__name__}: {exc}"})["error"])
        problem = f"Blastwall could not read the target ({said}). {_fix(identity)}"
        return replace(shown, problem=problem)
    changes = changes_of(plan, identity)
    if not changes:
        state = [value_text(v) for k, v in plan.before.items() if k in ("status", "state")]
        already = ", ".join(state) or "in that state"
        return replace(shown, nothing_to_do=f"nothing would change: already {already}")
    return replace(shown, changes=changes)


def changes_of(plan: ActionPlan, identity: AffectedIdentity) -> tuple[Change, ...]:
    subject = identity_label(identity, plan.before.get("user"))
    return tuple(
        Change(subject, field_name(name), value_text(plan.before.get(name)), value_text(after))
        for name, after in plan.changes.items()
    )


def _prefix(identity: AffectedIdentity) -> str:
    return f"BLASTWALL_{identity.system.upper()}_*"


def _unconfigured(identity: AffectedIdentity) -> str:
    return (
        f"{identity.system} is not configured in this Blastwall, so the target cannot be read. "
        + _fix(identity)
    )


def _fix(identity: AffectedIdentity) -> str:
    return (
        f"To fix: set the {_prefix(identity)} settings (endpoint and credentials; see the "
        "README's connector table) and restart Blastwall; nothing was run."
    )
