from __future__ import annotations

from datetime import UTC, datetime

from bot.core.actions import ActionPlan, idempotency_key
from bot.core.actors import Actor
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from bot.core.playbooks import Playbook, Trigger
from bot.core.roles import Right


def test_same_request_same_key_and_attempts_differ() -> None:
    one = idempotency_key("INC-20261122-0001", "a", "t", {"x": "1"})
    assert one == idempotency_key("INC-20261122-0001", "a", "t", {"x": "1"})
    assert one != idempotency_key("INC-20261122-0001", "a", "t", {"x": "2"})
    assert one != idempotency_key("INC-20261122-0001", "a", "t", {"x": "1"}, attempt=2)


def test_plan_hash_binds_action_target_and_params() -> None:
    plan = ActionPlan("a", "t", {"p": "1"}, before={"s": "Active"}, changes={"s": "Inactive"})
    other = ActionPlan("a", "t", {"p": "2"}, before={"s": "Active"}, changes={"s": "Inactive"})
    assert plan.plan_hash != other.plan_hash
    assert not plan.no_op


def _playbook() -> Playbook:
    return Playbook(
        name="p",
        title="P",
        trigger=Trigger(),
        default_severity=Severity.SEV3,
        commander=("slack:UA", "slack:UB"),
        rights={
            Right.IR_CONTAINMENT: frozenset({"group:ir", "slack:UX"}),
            Right.APPROVE: frozenset({"slack:UM"}),
        },
        groups={"ir": frozenset({"slack:U1", "slack:U2"})},
    )


def test_rights_expand_groups() -> None:
    playbook = _playbook()
    assert playbook.holds(Actor("slack", "U1"), Right.IR_CONTAINMENT)
    assert playbook.holds(Actor("slack", "UX"), Right.IR_CONTAINMENT)
    assert not playbook.holds(Actor("slack", "UM"), Right.IR_CONTAINMENT)
    assert not playbook.holds(Actor("teams", "U1"), Right.IR_CONTAINMENT)
    assert playbook.responders() == {"slack:U1", "slack:U2", "slack:UX", "slack:UM"}


def test_rotation_turns_over_weekly() -> None:
    playbook = _playbook()
    week1 = datetime(2026, 11, 16, tzinfo=UTC)
    week2 = datetime(2026, 11, 23, tzinfo=UTC)
    assert {playbook.commander_on(week1), playbook.commander_on(week2)} == {"slack:UA", "slack:UB"}


def test_identity_record_round_trip() -> None:
    identity = AffectedIdentity(
        "aws",
        IdentityKind.ACCESS_KEY,
        "AKIAEXAMPLE",
        owner="team-a",
        shared_with_humans=True,
        attributes=(("user", "ci-bot"),),
    )
    assert AffectedIdentity.from_record(identity.as_record()) == identity


def test_playbook_approval_rules_by_risk_reversibility_environment_and_sharing() -> None:
    from dataclasses import replace

    from bot.core.incidents import Environment
    from bot.core.playbooks import ApprovalPolicy, ApprovalRule, OfferedAction
    from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY, DELETE_ACCESS_KEY

    rule = ApprovalRule(
        ApprovalPolicy(2, 15),
        risks=frozenset({"critical"}),
        environments=frozenset({Environment.PRODUCTION}),
        shared_with_humans=True,
    )
    playbook = replace(
        _playbook(),
        approval_rule=rule,
        actions=(
            OfferedAction(DEACTIVATE_ACCESS_KEY.id, "Deactivate"),
            OfferedAction(DELETE_ACCESS_KEY.id, "Delete"),
        ),
    )
    key = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE")
    shared = replace(key, shared_with_humans=True)
    staging = Environment.NON_PRODUCTION
    assert playbook.approval_for(DEACTIVATE_ACCESS_KEY, key, staging) is None
    assert playbook.approval_for(DELETE_ACCESS_KEY, key, staging) == ApprovalPolicy(2, 15)
    assert playbook.approval_for(DEACTIVATE_ACCESS_KEY, shared, staging) is not None
    assert playbook.approval_for(DEACTIVATE_ACCESS_KEY, key, Environment.PRODUCTION) is not None
    irreversible = replace(
        playbook, approval_rule=ApprovalRule(ApprovalPolicy(), irreversible=True)
    )
    assert irreversible.approval_for(DELETE_ACCESS_KEY, key, staging) is not None
    assert irreversible.approval_for(DEACTIVATE_ACCESS_KEY, key, staging) is None
