"""Event handlers that speak to people: open the room, post and update the card, reply.

They run after the state change has committed. A chat failure is logged and
recorded as evidence; it never undoes what was decided.
"""

from __future__ import annotations

import json
import logging
from typing import assert_never

from bot.core.actions import ActionRequest, Operation, RequestStatus, Reversibility
from bot.core.actors import SYSTEM, Actor
from bot.core.approvals import bulk_targets
from bot.core.card_notes import card_notes, lockout_line
from bot.core.cards import (
    ALL_TARGETS,
    Card,
    CardOutcome,
    Prompt,
    PromptButton,
    PromptKind,
    build_card,
    pending_line,
    target_text,
)
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ActionSettled,
    ApprovalRequested,
    BulkSettled,
    CommandChanged,
    Escalated,
    Event,
    HandoffProposed,
    Refused,
    RequestDenied,
    SeverityChanged,
    SeverityRaised,
    StatusChanged,
    StatusRefused,
    Told,
    TurnedAway,
    VendorStepRecorded,
)
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.core.ports import IncidentStore, Notifier
from bot.core.roles import Right
from bot.service.context import Services
from bot.service.incidents.vendor import vendor_states

log = logging.getLogger(__name__)


async def announce_earlier_raise(incident: Incident, notifier: Notifier, svc: Services) -> None:
    """A graver alert that coalesced before the room existed could not be announced
    then (its handler found no room); read after the room is recorded, so no raise is
    missed by both."""
    async with svc.uow(read_only=True) as uow:
        lines = await uow.incidents.evidence_lines(incident.id)
    raises = [e for e in map(json.loads, lines) if e.get("what") == What.SEVERITY_RAISED]
    if raises:
        before, after = raises[0]["before"]["severity"], raises[-1]["after"]["severity"]
        await notifier.announce(
            incident, f"Severity raised to {after} (was {before}) by a graver alert."
        )


async def refresh_card(event: Event, svc: Services) -> None:
    await refresh_card_of(event.incident_id, svc)


async def report_bulk(event: BulkSettled, svc: Services) -> None:
    text = (
        f"{event.action_id} on {event.total} identities: {event.succeeded} done, "
        f"{event.failed} failed, {event.skipped} skipped (refused or already requested)."
    )
    await _tell(event.incident_id, event, text, svc)


async def refresh_card_of(incident_id: str, svc: Services) -> None:
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
        if incident is None or incident.card is None:
            return
        card = await card_of(uow.incidents, incident, svc)
    notifier = svc.notifier_for(incident)
    if notifier is not None:
        await notifier.update_card(incident.card, card)


async def report_settled(event: ActionSettled, svc: Services) -> None:
    verb = "done" if event.status is RequestStatus.SUCCEEDED else "failed"
    await _tell(
        event.incident_id,
        event,
        f"{event.action_id} on {event.target_key}: {verb}. {event.summary}",
        svc,
    )


async def post_follow_up(event: ActionSettled, svc: Services) -> None:
    """A task no API can do (rotating a GitHub App's private key), posted in the room
    for everyone; its outcome entry already records it."""
    found = await _room(event.incident_id, svc) if event.follow_up else None
    if found is not None:
        text = f"Follow-up for {event.target_key} (after {event.action_id}): {event.follow_up}"
        await found[1].announce(found[0], text)


async def report_status(event: StatusChanged, svc: Services) -> None:
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(event.incident_id)
    notifier = svc.notifier_for(incident) if incident else None
    if incident is not None and notifier is not None and incident.room is not None:
        await notifier.announce(
            incident, f"{incident.id} is now {event.after} (was {event.before})."
        )


async def announce_severity(event: SeverityRaised | SeverityChanged, svc: Services) -> None:
    """Everyone in the room sees a new severity: a graver alert raised it, or the
    commander regraded it (and why)."""
    found = await _room(event.incident_id, svc)
    if found is None:
        return
    incident, notifier = found
    if isinstance(event, SeverityChanged):
        text = (
            f"Severity changed to {event.after} (was {event.before}) by the commander, "
            f"{event.actor.principal}: {event.reason}"
        )
    else:
        text = (
            f"Severity raised to {event.after} (was {event.before}): "
            f"a {event.source} alert graded it {event.after}."
        )
    await notifier.announce(incident, text)


async def report_status_refusal(event: StatusRefused, svc: Services) -> None:
    await _tell(event.incident_id, event, f"Not changed: {event.reason}", svc)


async def report_refusal(event: ActionRefused, svc: Services) -> None:
    await _tell(event.incident_id, event, f"Not done: {event.reason}", svc)


async def report_duplicate(event: ActionDuplicate, svc: Services) -> None:
    text = (
        f"{event.action_id} on {event.target_key} was already requested "
        f"({event.status.value}); it was not run again."
    )
    await _tell(event.incident_id, event, text, svc)


async def _tell(
    incident_id: str,
    event: ActionSettled
    | ActionRefused
    | ActionDuplicate
    | StatusRefused
    | Refused
    | Told
    | BulkSettled,
    text: str,
    svc: Services,
) -> None:
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
    notifier = svc.notifier_for(incident) if incident else None
    if incident is None or notifier is None or incident.room is None:
        log.info("not told %s: %s", event.actor.principal, text)
        return
    await notifier.tell(incident, event.actor, text)


async def card_of(store: IncidentStore, incident: Incident, svc: Services) -> Card:
    playbook = svc.playbooks[incident.playbook]
    requests = await store.requests_for(incident.id)
    outcomes = tuple(
        CardOutcome(
            action_id=r.action_id,
            target_key=r.target_key,
            status=r.status,
            summary=r.outcome.summary if r.outcome else r.status.value.replace("_", " "),
            actor_principal=r.actor.principal,
            request_key=r.idempotency_key,
            undoable=_undoable(r, svc),
        )
        for r in requests
    )
    pending = [
        pending_line(
            r,
            await store.approvals_for(r.idempotency_key),
            _approvers(svc, incident, r),
            len(bulk_targets(r)),
        )
        for r in requests
        if r.status is RequestStatus.AWAITING_APPROVAL
    ]
    notes = card_notes(incident, playbook, await vendor_states(store, incident.id))
    return build_card(incident, playbook, svc.catalogue, outcomes, tuple(pending), notes)


def _undoable(request: ActionRequest, svc: Services) -> bool:
    spec = svc.catalogue.get(request.action_id)
    return (
        request.status is RequestStatus.SUCCEEDED
        and request.operation is Operation.APPLY
        and request.target_key != ALL_TARGETS  # a bulk is undone target by target
        and spec is not None
        and spec.reversibility is not Reversibility.IRREVERSIBLE
    )


def _approvers(svc: Services, incident: Incident, request: ActionRequest) -> frozenset[str]:
    holders = svc.playbooks[incident.playbook].holders(Right.APPROVE)
    return holders - {request.actor.principal}


async def _record_chat_failure(incident_id: str, what: What, exc: Exception, svc: Services) -> None:
    async with svc.uow() as uow:
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=incident_id,
                what=what,
                actor=SYSTEM,
                at=svc.clock.now(),
                outcome=f"{type(exc).__name__}: {exc}",
            )
        )
        await uow.commit()


async def report_refused(event: Refused, svc: Services) -> None:
    await _tell(event.incident_id, event, f"Not done: {event.reason}", svc)


async def report_turned_away(event: TurnedAway, svc: Services) -> None:
    """No room to tell it in: the adapter that took the command answers directly."""
    log.info("turned away %s: %s", event.actor.principal, event.reason)


async def report_told(event: Told, svc: Services) -> None:
    await _tell(event.incident_id, event, event.text, svc)


async def _room(incident_id: str, svc: Services) -> tuple[Incident, Notifier] | None:
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
    notifier = svc.notifier_for(incident) if incident else None
    if incident is None or notifier is None or incident.room is None:
        return None
    return incident, notifier


async def ask_approvers(event: ApprovalRequested, svc: Services) -> None:
    """The approval card, in the channel and to each approver directly."""
    async with svc.uow(read_only=True) as uow:
        request = await uow.incidents.get_request(event.request_key)
    found = await _room(event.incident_id, svc)
    if request is None or found is None:
        return
    incident, notifier = found
    approvers = [Actor.parse(p) for p in sorted(_approvers(svc, incident, request))]
    prompt = Prompt(
        text=(
            f"{request.actor.principal} asks to run {request.action_id} on "
            f"{target_text(request.target_key, len(bulk_targets(request)))} in {incident.id}. "
            f"Needs {request.approvals_needed} "
            f"approval(s) before {request.expires_at:%H:%M} UTC. "
            f"{event.preview[:1].upper() + event.preview[1:] + '. ' if event.preview else ''}"
            f"Plan {request.plan_hash}." + _lockouts(incident, svc, request)
        ),
        buttons=(
            PromptButton(
                "Approve",
                PromptKind.APPROVE,
                incident.id,
                request.idempotency_key,
                request.plan_hash or "",
            ),
            PromptButton(
                "Deny",
                PromptKind.DENY,
                incident.id,
                request.idempotency_key,
                request.plan_hash or "",
                danger=True,
            ),
        ),
    )
    await notifier.ask(incident, approvers, prompt)


def _lockouts(incident: Incident, svc: Services, request: ActionRequest) -> str:
    """Approving a shared account's containment locks people out: say who, first."""
    playbook = svc.playbooks[incident.playbook]
    keys = set(bulk_targets(request)) or {request.target_key}
    lines = [
        line for i in incident.identities if i.key in keys and (line := lockout_line(i, playbook))
    ]
    return (" " + " ".join(lines)) if lines else ""


async def report_vendor_step(event: VendorStepRecorded, svc: Services) -> None:
    found = await _room(event.incident_id, svc)
    if found is not None:
        await found[1].announce(found[0], event.text)


async def ask_to_accept(event: HandoffProposed, svc: Services) -> None:
    found = await _room(event.incident_id, svc)
    if found is None:
        return
    incident, notifier = found
    why = " (the commander has not responded)" if event.by_escalation else ""
    prompt = Prompt(
        f"You are offered command of {incident.id}{why}. You take command only when you accept.",
        (PromptButton("Accept command", PromptKind.ACCEPT_COMMAND, incident.id),),
    )
    await notifier.ask(incident, [event.to], prompt)


async def announce_commander(event: CommandChanged, svc: Services) -> None:
    found = await _room(event.incident_id, svc)
    if found is not None:
        await found[1].announce_commander(found[0], event.after)


async def announce_denial(event: RequestDenied, svc: Services) -> None:
    found = await _room(event.incident_id, svc)
    if found is not None:
        await found[1].announce(found[0], f"Request denied, nothing was run: {event.reason}")


async def escalate(event: Escalated, svc: Services) -> None:
    """Tell (or ask again) the people this escalation step names, then mark the notice
    sent; if sending fails it stays unsent and is delivered again later."""
    found = await _room(event.incident_id, svc)
    if found is None:
        return
    incident, notifier = found
    people = [Actor.parse(p) for p in event.notify]
    await notifier.announce(incident, event.text)
    buttons = await _escalation_buttons(event, svc)
    await notifier.ask(incident, people, Prompt(event.text, buttons))
    if event.notice_id is not None:
        async with svc.uow() as uow:
            await uow.outbox.mark_sent(event.notice_id, svc.clock.now())
            await uow.commit()


async def _escalation_buttons(event: Escalated, svc: Services) -> tuple[PromptButton, ...]:
    """Exhaustive over the prompt kinds, so a new kind fails mypy here until it has buttons."""
    match event.prompt:
        case None | PromptKind.DENY:  # an escalation never asks only to deny
            return ()
        case PromptKind.ACK_COMMAND:
            return (PromptButton("Acknowledge command", event.prompt, event.incident_id),)
        case PromptKind.ACCEPT_COMMAND:
            return (PromptButton("Accept command", event.prompt, event.incident_id),)
        case PromptKind.APPROVE:
            async with svc.uow(read_only=True) as uow:
                request = await uow.incidents.get_request(event.ref)
            hash_ = request.plan_hash or "" if request else ""
            return (
                PromptButton("Approve", PromptKind.APPROVE, event.incident_id, event.ref, hash_),
                PromptButton(
                    "Deny", PromptKind.DENY, event.incident_id, event.ref, hash_, danger=True
                ),
            )
        case _:
            assert_never(event.prompt)
