"""Containment actions: the catalogue entry, the request, its plan and its outcome."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.core.actors import Actor
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.roles import Right
from bot.core.secret_paths import template_problem


class Reversibility(StrEnum):
    TOGGLE = "toggle"
    RESTORE_FROM_SNAPSHOT = "restore-from-snapshot"
    IRREVERSIBLE = "irreversible"
    EXPIRES = "expires-by-itself"

    @property
    def reversible(self) -> bool:
        return self in (Reversibility.TOGGLE, Reversibility.RESTORE_FROM_SNAPSHOT)


class RiskTier(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter an action accepts; values are strings matching ``pattern``."""

    name: str
    description: str
    required: bool = False
    pattern: str = r"[^\x00-\x1f]{0,200}"
    template: bool = False  # a secret store path template (``bot.core.secret_paths``)


@dataclass(frozen=True)
class ActionSpec:
    """One pre-authorized operation of a connector, as the catalogue lists it."""

    id: str
    connector: str
    operation: str
    title: str
    target_kinds: frozenset[IdentityKind]
    right: Right
    reversibility: Reversibility
    risk: RiskTier
    params: tuple[ParamSpec, ...] = ()
    # The identity's state once this succeeds ("rotated"): shown on the card, recorded
    # on the success entry, and it makes undoing an earlier toggle of the identity unsafe.
    identity_state: str = ""
    # What a person must still do by hand once this succeeds (a vendor step no API
    # offers): posted in the room and recorded with the outcome.
    follow_up: str = ""
    description: str = ""  # what the operation really does, and what it cannot do
    # The identities' ``system`` it acts on ("aws" for the aws_iam connector); empty:
    # any system. A card offers it only for identities of that system.
    system: str = ""

    def applies_to(self, kind: IdentityKind) -> bool:
        return kind in self.target_kinds

    def fits(self, identity: AffectedIdentity) -> bool:
        """This action can act on ``identity``: its kind, in its system (an AWS agent
        role is not offered the Kubernetes or Entra buttons of the same playbook)."""
        return self.applies_to(identity.kind) and self.system in ("", identity.system)

    def param_problem(self, params: dict[str, str]) -> str | None:
        """Why these parameters do not fit the schema, or None when they do."""
        known = {p.name: p for p in self.params}
        for name, value in params.items():
            spec = known.get(name)
            if spec is None:
                return f"unknown parameter {name!r} for {self.id}"
            if re.fullmatch(spec.pattern, value) is None:
                return f"parameter {name!r} does not match {spec.pattern}"
            if spec.template and (problem := template_problem(value)) is not None:
                return f"parameter {name!r}: {problem}"
        missing = [p.name for p in self.params if p.required and p.name not in params]
        return f"missing parameter(s) {', '.join(missing)} for {self.id}" if missing else None


class RequestStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"  # intent committed, connector called or about to be
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DENIED = "denied"  # by an approver, or at the approval deadline

    @property
    def settled(self) -> bool:
        return self in (RequestStatus.SUCCEEDED, RequestStatus.FAILED, RequestStatus.DENIED)


@dataclass(frozen=True)
class ActionPlan:
    """The dry run: what would change. ``plan_hash`` binds approvals to exactly this."""

    action_id: str
    target_key: str
    params: dict[str, str]
    before: dict[str, object]
    changes: dict[str, object]

    @property
    def plan_hash(self) -> str:
        return plan_hash(self.action_id, self.target_key, self.params)

    @property
    def no_op(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class ActionOutcome:
    """What the connector reports. ``already`` means the target was already in that state."""

    ok: bool
    summary: str
    before: dict[str, object] = field(default_factory=dict)
    after: dict[str, object] = field(default_factory=dict)
    already: bool = False
    error_code: str | None = None
    response: dict[str, object] = field(default_factory=dict)  # what the system answered

    @property
    def response_hash(self) -> str:
        return stable_hash(self.response)


@dataclass(frozen=True)
class Verification:
    """A read-back after apply: is the change visible yet (within a bounded wait)?"""

    confirmed: bool
    observed: dict[str, object]
    summary: str


class Operation(StrEnum):
    APPLY = "apply"
    UNDO = "undo"


@dataclass
class ActionRequest:
    incident_id: str
    action_id: str
    target_key: str
    params: dict[str, str]
    actor: Actor
    idempotency_key: str
    requested_at: datetime
    status: RequestStatus = RequestStatus.RUNNING
    outcome: ActionOutcome | None = None
    justification: str = ""
    plan_hash: str | None = None
    approvals_needed: int = 0
    expires_at: datetime | None = None
    snapshot: dict[str, object] | None = None  # the target's state before the change
    operation: Operation = Operation.APPLY
    undo_of: str | None = None  # the request an undo restores


def idempotency_key(
    incident_id: str, action_id: str, target_key: str, params: dict[str, str], attempt: int = 1
) -> str:
    """Same incident, action, target and parameters give the same key.

    So a double click, a platform retry or a second replica all collide on one key.
    ``attempt`` lets a responder deliberately retry after a recorded failure.
    """
    return stable_hash(
        {
            "incident": incident_id,
            "action": action_id,
            "target": target_key,
            "params": params,
            "attempt": attempt,
        }
    )


def plan_hash(action_id: str, target_key: str, params: dict[str, str]) -> str:
    """What an approval is bound to: change any part and the approval no longer counts."""
    return stable_hash({"action": action_id, "target": target_key, "params": params})


def stable_hash(value: object) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
