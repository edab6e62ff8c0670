"""Four-eyes approval: who may approve, bound to which plan, for how long."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.actions import ActionRequest, RequestStatus, stable_hash
from bot.core.actors import Actor


class Decision(StrEnum):
    APPROVE = "approve"
    DENY = "deny"


@dataclass(frozen=True)
class Approval:
    request_key: str
    approver: Actor
    decision: Decision
    plan_hash: str
    reason: str
    decided_at: datetime

    @property
    def id(self) -> str:
        return f"{self.request_key[:12]}/{self.approver.principal}"


def refusal(
    request: ActionRequest,
    approver: Actor,
    decision: Decision,
    plan_hash: str,
    reason: str,
    now: datetime,
    earlier: list[Approval],
    holds_approve: bool,
) -> str | None:
    """Why this decision cannot count, or None when it counts."""
    if request.status is not RequestStatus.AWAITING_APPROVAL:
        return f"the request is {request.status.value}, not awaiting approval"
    if not holds_approve:
        return "authorization denied: approve is required"
    if approver == request.actor:
        return "the requester cannot approve their own request"
    if any(a.approver == approver for a in earlier):
        return "you have already decided on this request; one person counts once"
    if request.expires_at is not None and now >= request.expires_at:
        return "the approval window has expired"
    if plan_hash != request.plan_hash:
        return "the plan changed after it was shown: this approval is not for the current plan"
    if decision is Decision.DENY and not reason.strip():
        return "a denial needs a reason"
    return None


def approved(request: ActionRequest, approvals: list[Approval]) -> bool:
    """Enough distinct approvers agreed to exactly this plan."""
    agreeing = {
        a.approver
        for a in approvals
        if a.decision is Decision.APPROVE and a.plan_hash == request.plan_hash
    }
    return len(agreeing) >= request.approvals_needed


def bulk_plan_hash(action_id: str, targets: Sequence[str], params: dict[str, str]) -> str:
    """What an approval of a bulk action is bound to: the action, every target and the
    parameters. Add, drop or swap one target and it is a different plan."""
    return stable_hash({"action": action_id, "targets": sorted(targets), "params": params})


BULK_TARGET = "*"  # the target key of a request that covers every identity it fits


def bulk_targets(request: ActionRequest) -> list[str]:
    """The identities a bulk request covers, exactly as planned and approved.

    They are kept with the request (its ``snapshot``: the set as it stood when the
    plan was made), so identities that join the incident later are not swept into
    an approval that never covered them.
    """
    if request.target_key != BULK_TARGET or not request.snapshot:
        return []
    listed = request.snapshot.get("targets")
    return [str(t) for t in listed] if isinstance(listed, list) else []
