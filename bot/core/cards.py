"""The incident card as plain data. Each adapter renders it in its own blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.actions import ActionSpec, RequestStatus
from bot.core.incidents import Incident
from bot.core.playbooks import Playbook

ALL_TARGETS = "*"
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


@dataclass(frozen=True)
class PromptButton:
    """A button on a question put to people: ``kind`` says what clicking it means."""

    label: str
    kind: str  # approve | deny | accept_command | ack_command
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


def build_card(
    incident: Incident,
    playbook: Playbook,
    catalogue: Mapping[str, ActionSpec],
    outcomes: tuple[CardOutcome, ...] = (),
    pending: tuple[str, ...] = (),
) -> Card:
    """One button per offered action per identity it applies to."""
    buttons: list[CardButton] = []
    for offered in playbook.actions:
        spec = catalogue.get(offered.action_id)
        if spec is None:
            continue
        fits = [i for i in incident.identities if spec.applies_to(i.kind)]
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
    )
