"""An incident room as one person sees it: what the incident is about, who commands,
what is contained, and which controls this person may use, each with the reason when
they may not. The reasons come from the rules the handlers apply (the playbook's
rights, the lifecycle's legal next states, undo's safety checks), asked here before
the click; the handler still decides on the click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.actions import ActionRequest, ActionSpec, Operation, RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import Approval, Decision
from bot.core.incidents import TRANSITIONS, Incident, Status
from bot.core.playbooks import Playbook
from bot.core.ports import UnitOfWork
from bot.core.roles import Right
from bot.service.actions.undo import why_not_undo
from bot.service.context import Services
from bot.service.incidents.identities import why_not_add
from bot.service.plain_words import identity_label, request_state, request_title

LIFECYCLE = list(Status)
UNDO_ONLY = "undo only:"


@dataclass(frozen=True)
class IdentityLine:
    key: str
    label: str
    system: str
    owner: str
    workload: str
    issuing_system: str
    contained: str  # "" while nothing is contained


@dataclass(frozen=True)
class ActionButton:
    action_id: str
    label: str
    target_key: str
    target_label: str
    danger: bool
    disabled: str | None  # why not, or None


@dataclass(frozen=True)
class RequestLine:
    key: str
    title: str
    target_label: str
    requester: str
    state: str
    status: RequestStatus
    outcome: str
    approvals: int
    needed: int
    plan_hash: str
    decide: str | None  # None: this person may approve or deny; else why not
    undo: str | None  # None: this person may undo; else why not
    undoable_kind: bool  # an applied change that succeeded: the Undo question applies
    # What an undo must confirm (parameter, what it means): the system refuses an unsafe
    # undo (re-enabling a leaked key) unless the person says it is safe.
    undo_confirms: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Controls:
    commander: bool
    acknowledge: bool
    accept: bool
    handoff: bool
    next_statuses: tuple[str, ...]
    status_note: str  # why there are no status choices
    add_identity: str | None  # None: may add; else why not


@dataclass(frozen=True)
class Seen:
    identities: tuple[IdentityLine, ...]
    buttons: tuple[ActionButton, ...]
    requests: tuple[RequestLine, ...]
    controls: Controls


async def seen_by(uow: UnitOfWork, incident: Incident, actor: Actor, svc: Services) -> Seen:
    playbook = svc.playbooks[incident.playbook]
    requests = list(await uow.incidents.requests_for(incident.id))
    lines = [await _request_line(uow, incident, r, actor, svc, playbook) for r in requests]
    return Seen(
        tuple(_identity_lines(incident, requests, svc)),
        tuple(_buttons(incident, playbook, requests, actor, svc)),
        tuple(lines),
        _controls(incident, actor, svc),
    )


def _live(requests: Sequence[ActionRequest]) -> list[ActionRequest]:
    """Applied changes that still stand: succeeded and not undone since."""
    undone = {r.undo_of for r in requests if r.undo_of and r.status is RequestStatus.SUCCEEDED}
    return [
        r
        for r in requests
        if r.operation is Operation.APPLY
        and r.status is RequestStatus.SUCCEEDED
        and r.idempotency_key not in undone
    ]


def _identity_lines(
    incident: Incident, requests: Sequence[ActionRequest], svc: Services
) -> list[IdentityLine]:
    standing = _live(requests)
    out = []
    for i in incident.identities:
        done = [
            _done_text(r, svc.catalogue.get(r.action_id)) for r in standing if r.target_key == i.key
        ]
        out.append(
            IdentityLine(
                i.key,
                identity_label(i),
                i.system,
                i.owner or "unknown",
                i.workload or "unknown",
                i.issuing_system or i.system,
                "; ".join(done),
            )
        )
    return out


def _done_text(request: ActionRequest, spec: ActionSpec | None) -> str:
    what = spec.identity_state if spec and spec.identity_state else (spec.title if spec else "")
    return f"{what or request.action_id} ({request.outcome.summary if request.outcome else 'done'})"


def _buttons(
    incident: Incident,
    playbook: Playbook,
    requests: Sequence[ActionRequest],
    actor: Actor,
    svc: Services,
) -> list[ActionButton]:
    out = []
    for offered in playbook.actions:
        spec = svc.catalogue.get(offered.action_id)
        if spec is None:
            continue
        for identity in (i for i in incident.identities if spec.fits(i)):
            why = _why_not_act(incident, playbook, spec, identity.key, requests, actor)
            out.append(
                ActionButton(
                    spec.id,
                    offered.label,
                    identity.key,
                    identity_label(identity),
                    not spec.reversibility.reversible,
                    why,
                )
            )
    return out


def _why_not_act(
    incident: Incident,
    playbook: Playbook,
    spec: ActionSpec,
    target: str,
    requests: Sequence[ActionRequest],
    actor: Actor,
) -> str | None:
    if not incident.is_open:
        return f"{incident.id} is {incident.status.value}"
    if not playbook.holds(actor, spec.right):
        return f"needs the {spec.right.value} right"
    mine = [r for r in requests if r.action_id == spec.id and r.target_key == target]
    if any(r in _live(requests) for r in mine):
        return f"already done: {spec.identity_state or 'the target is in that state'}"
    waiting = [r for r in mine if r.operation is Operation.APPLY and not r.status.settled]
    if waiting:
        return f"already requested: {request_state(waiting[0])}"
    return None


async def _request_line(
    uow: UnitOfWork,
    incident: Incident,
    request: ActionRequest,
    actor: Actor,
    svc: Services,
    playbook: Playbook,
) -> RequestLine:
    spec = svc.catalogue.get(request.action_id)
    identity = incident.identity(request.target_key)
    approvals = list(await uow.incidents.approvals_for(request.idempotency_key))
    applied = request.operation is Operation.APPLY and request.status is RequestStatus.SUCCEEDED
    return RequestLine(
        key=request.idempotency_key,
        title=request_title(request, spec.title if spec else request.action_id),
        target_label=identity_label(identity) if identity else "every identity it fits",
        requester=request.actor.display or request.actor.principal,
        state=request_state(request),
        status=request.status,
        outcome=request.outcome.summary if request.outcome else "",
        approvals=sum(1 for a in approvals if a.decision is Decision.APPROVE),
        needed=request.approvals_needed,
        plan_hash=request.plan_hash or "",
        decide=_why_not_decide(request, approvals, actor, playbook),
        undo=await why_not_undo(uow, incident, request, actor, svc) if applied else "not applied",
        undoable_kind=applied,
        undo_confirms=_confirms(spec) if applied else (),
    )


def _confirms(spec: ActionSpec | None) -> tuple[tuple[str, str], ...]:
    """The catalogue marks a yes/no parameter that only an undo takes "undo only: ..."."""
    return tuple(
        (p.name, p.description.removeprefix(UNDO_ONLY).strip())
        for p in (spec.params if spec else ())
        if p.description.startswith(UNDO_ONLY) and p.pattern == "true|false"
    )


def _why_not_decide(
    request: ActionRequest, approvals: Sequence[Approval], actor: Actor, playbook: Playbook
) -> str | None:
    if request.status is not RequestStatus.AWAITING_APPROVAL:
        return "not awaiting approval"
    if request.actor == actor:
        return "you asked for it: someone else approves"
    if not playbook.holds(actor, Right.APPROVE):
        return "needs the approve right"
    if any(a.approver == actor for a in approvals):
        return "you have decided already"
    return None


def _controls(incident: Incident, actor: Actor, svc: Services) -> Controls:
    commander = incident.commander == actor
    handoff = incident.pending_handoff
    nexts = sorted(TRANSITIONS[incident.status], key=LIFECYCLE.index) if commander else []
    if commander:
        note = "" if nexts else f"{incident.status.value} is final"
    else:
        who = incident.commander.principal if incident.commander else "nobody"
        note = f"only the commander ({who}) changes the status"
    return Controls(
        commander=commander,
        acknowledge=commander and not incident.commander_acknowledged,
        accept=handoff is not None and handoff.to == actor,
        handoff=commander and incident.is_open,
        next_statuses=tuple(s.value for s in nexts),
        status_note=note,
        add_identity=why_not_add(incident, actor, svc),
    )
