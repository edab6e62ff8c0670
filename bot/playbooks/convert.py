"""From the validated schema model to the core's Playbook."""

from __future__ import annotations

from bot.core.escalation import Step
from bot.core.playbooks import (
    AlertCondition,
    ApprovalPolicy,
    ApprovalRule,
    AutomaticRule,
    FrameworkRefs,
    OfferedAction,
    Playbook,
    RoomSettings,
    Trigger,
    Vendor,
    VendorStep,
)
from bot.playbooks.schema import (
    ActionModel,
    ApprovalRuleModel,
    AutomaticModel,
    Frameworks,
    PlaybookModel,
    VendorModel,
)


def to_core(model: PlaybookModel) -> Playbook:
    commander = (
        (model.commander.user,) if model.commander.user else tuple(model.commander.rotation or ())
    )
    return Playbook(
        name=model.name,
        title=model.title,
        trigger=Trigger(
            sources=frozenset(model.trigger.sources),
            systems=frozenset(model.trigger.identity.systems),
            kinds=frozenset(model.trigger.identity.kinds),
            min_severity=model.trigger.min_severity,
            manual=model.trigger.manual,
            environments=frozenset(model.trigger.environments),
        ),
        default_severity=model.default_severity,
        commander=commander,
        rights={right: frozenset(grants) for right, grants in model.rights.items()},
        groups={name: frozenset(members) for name, members in model.groups.items()},
        actions=tuple(_offered(a) for a in model.actions),
        environment=model.environment,
        frameworks=_refs(model.frameworks),
        approval_rule=_rule(model.approval),
        room=RoomSettings(model.room.private, model.room.archive_on_close),
        vendor=_vendor(model.vendor),
        known_users={key: tuple(people) for key, people in model.known_users.items()},
        automatic_enabled=model.automatic_enabled,
        escalation={
            kind: tuple(Step(s.after_minutes, tuple(s.notify), s.end) for s in steps)
            for kind, steps in model.escalation.items()
        },
    )


def _vendor(vendor: VendorModel | None) -> Vendor | None:
    if vendor is None:
        return None
    steps = tuple(VendorStep(s.id, s.label) for s in vendor.steps)
    return Vendor(vendor.name, vendor.contact, steps)


def _rule(rule: ApprovalRuleModel | None) -> ApprovalRule | None:
    if rule is None:
        return None
    return ApprovalRule(
        policy=ApprovalPolicy(rule.approvers, rule.ttl_minutes),
        risks=frozenset(r.value for r in rule.risk),
        irreversible=rule.irreversible,
        environments=frozenset(rule.environment),
        shared_with_humans=rule.shared_with_humans,
    )


def _offered(action: ActionModel) -> OfferedAction:
    approval = action.approval
    return OfferedAction(
        action_id=action.action,
        label=action.label,
        frameworks=_refs(action.frameworks),
        approval=(
            ApprovalPolicy(approval.approvers, approval.ttl_minutes)
            if approval and approval.required
            else None
        ),
        approval_waived=approval is not None and not approval.required,
        params=tuple(sorted(action.params.items())),
        automatic=_automatic(action.automatic),
    )


def _automatic(automatic: AutomaticModel | None) -> AutomaticRule | None:
    if automatic is None:
        return None
    when = automatic.when
    return AutomaticRule(
        when=AlertCondition(
            severity_at_least=when.severity_at_least,
            sources=frozenset(when.sources),
            identity_kinds=frozenset(when.identity_kinds),
            systems=frozenset(when.systems),
        ),
        max_targets=automatic.max_targets,
        environments=frozenset(automatic.environments),
        unless_shared_with_humans=automatic.unless_shared_with_humans,
    )


def _refs(refs: Frameworks) -> FrameworkRefs:
    return FrameworkRefs(
        nist_csf=tuple(refs.nist_csf),
        owasp_agentic=tuple(refs.owasp_agentic),
        maestro_layer=refs.maestro_layer,
        nist_ai_rmf=tuple(refs.nist_ai_rmf),
    )
