"""The incident card as plain data. Each adapter renders it in its own blocks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

from bot.core.actions import ActionRequest, ActionSpec, RequestStatus
from bot.core.approvals import BULK_TARGET, Approval, Decision
from bot.core.incidents import Incident
from bot.core.playbooks import Playbook

ALL_TARGETS = BULK_TARGET
MAX_PER_ACTION = 24


@dataclass(frozen=True)
class CardButton:
    action_id: str
    target_key: str
    label: str
    danger: bool


@dataclass(frozen=True)
class CardOutcome:
    action_id: str
    target_key: str
    status: RequestStatus
    summary: str
    actor_principal: str
    request_key: str = ""
    undoable: bool = False  # succeeded, and its action is not irreversible


class PromptKind(StrEnum):
    """What clicking a prompt's button means; the value travels in button payloads."""

    APPROVE = "approve"
    DENY = "deny"
    ACCEPT_COMMAND = "accept_command"
    ACK_COMMAND = "ack_command"


@dataclass(frozen=True)
class PromptButton:
    """A button on a question put to people: ``kind`` says what clicking it means."""

    label: str
    kind: PromptKind
    incident_id: str
    ref: str = ""  # the request key for approvals
    plan_hash: str = ""
    danger: bool = False


@dataclass(frozen=True)
class Prompt:
    text: str
    buttons: tuple[PromptButton, ...] = ()


@dataclass(frozen=True)
class Card:
    incident_id: str
    title: str
    severity: str
    status: str
    environment: str
    commander: str | None
    identities: tuple[str, ...]
    buttons: tuple[CardButton, ...]
    outcomes: tuple[CardOutcome, ...] = field(default_factory=tuple)
    pending: tuple[str, ...] = ()  # approvals awaited, and who is asked
    acknowledged: bool = True
    handoff_to: str | None = None
    notes: tuple[str, ...] = ()  # read before approving: lock-outs, vendor steps
    states: tuple[tuple[str, str], ...] = ()  # (identity key, state): ("…", "rotated")

    def state_of(self, identity_key: str) -> str:
        return dict(self.states).get(identity_key, "")


def build_card(
    incident: Incident,
    playbook: Playbook,
    catalogue: Mapping[str, ActionSpec],
    outcomes: tuple[CardOutcome, ...] = (),
    pending: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> Card:
    """One button per offered action per identity it applies to."""
    buttons: list[CardButton] = []
    for offered in playbook.actions:
        spec = catalogue.get(offered.action_id)
        if spec is None:
            continue
        fits = [i for i in incident.identities if spec.fits(i)]
        danger = not spec.reversibility.reversible
        if len(fits) > 1:  # the bulk button: every identity it fits, as one request
            label = f"{offered.label}: all {len(fits)}"
            buttons.append(CardButton(spec.id, ALL_TARGETS, label, danger))
        # One button per identity up to a point; past it, the bulk button does the rest.
        buttons += [
            CardButton(spec.id, i.key, offered.label, danger) for i in fits[:MAX_PER_ACTION]
        ]
    commander = incident.commander
    return Card(
        incident_id=incident.id,
        title=incident.title,
        severity=incident.severity.value,
        status=incident.status.value,
        environment=incident.environment.value,
        commander=commander.principal if commander else None,
        identities=tuple(i.key for i in incident.identities),
        buttons=tuple(buttons),
        outcomes=outcomes,
        pending=pending,
        acknowledged=incident.commander_acknowledged,
        handoff_to=incident.pending_handoff.to.principal if incident.pending_handoff else None,
        notes=notes,
        states=identity_states(outcomes, catalogue),
    )


def identity_states(
    outcomes: Iterable[CardOutcome], catalogue: Mapping[str, ActionSpec]
) -> tuple[tuple[str, str], ...]:
    """Each identity an action left in a named state (a rotated key), by its key."""
    states: dict[str, str] = {}
    for outcome in outcomes:
        spec = catalogue.get(outcome.action_id)
        if spec is not None and spec.identity_state and outcome.status is RequestStatus.SUCCEEDED:
            states[outcome.target_key] = spec.identity_state
    return tuple(sorted(states.items()))


def target_text(target_key: str, targets: int = 0) -> str:
    """A target as people read it; a bulk request names how many identities it covers."""
    if target_key != ALL_TARGETS:
        return target_key
    return f"all {targets} identities" if targets else "every identity it fits"


def decision_text(decision: Decision) -> str:
    match decision:
        case Decision.APPROVE:
            return "approved"
        case Decision.DENY:
            return "denied"
    assert_never(decision)


def pending_line(
    request: ActionRequest, approvals: Sequence[Approval], asked: Iterable[str], targets: int = 0
) -> str:
    """One request awaiting approval: how far it got, who decided what, who is asked."""
    agreed = sum(1 for a in approvals if a.decision is Decision.APPROVE)
    decided = "; ".join(f"{decision_text(a.decision)} by {a.approver.principal}" for a in approvals)
    who = ", ".join(sorted(asked)) or "nobody holds approve"
    return (
        f"{request.action_id} on {target_text(request.target_key, targets)}: "
        f"{agreed}/{request.approvals_needed} approvals"
        + (f" ({decided})" if decided else "")
        + f", asked: {who}"
    )
