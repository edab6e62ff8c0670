"""Firing due escalation timers: each exactly once, late ones with their lateness.

A pass claims a batch of due timers and fires them all in one unit of work:
the claim (the timers marked fired), each timer's evidence entry, its next step
and its notice in the outbox commit together or not at all. A crash between the
claim and the last effect therefore loses nothing: the transaction never
commits, the database rolls the claim back with it, and the timers are pending
again for the next pass (of this replica after restart, or of another). Once
it commits, each timer is fired with its record: never lost, never twice. The
notices go out after the commit and are redelivered from the outbox if that is
cut short (``deliver_notices``). Whether a timer is due, and its lateness, are
the store's to say: on PostgreSQL they are read on the database's clock, not
this replica's. Each timer's effect reads the incident as the batch has left it
(``_still_stalled``), so a stall resolved by an earlier timer of the same batch
fires no effect; no escalation ending arms or cancels another timer, so a claim
never outruns a cancellation made in its own batch.

The approval deadline's denial is a follow-up command (``ExpireApproval``) for
the bus to run once the timer's pass has committed; this never calls another
handler. The final deadline stays armed until the denial cancels it, so a
denial lost to a crash is made on the next pass. The offer of command to a
manager has nothing to retry it, so it is recorded in the timer's own
transaction instead: it commits with the claim (once, whichever replica claims)
or not at all (the timer stays pending and the next pass offers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import assert_never

from bot.core.actions import RequestStatus
from bot.core.actors import SYSTEM, Actor
from bot.core.cards import PromptKind
from bot.core.commands import (
    Command,
    DeliverNotices,
    ExpireApproval,
    FireDueTimers,
)
from bot.core.escalation import StallKind, Step, StepEnd, step_due
from bot.core.events import Escalated, Event, HandoffProposed, IncidentDeclared
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Handoff, Incident
from bot.core.measures import TIMER_LATENESS
from bot.core.playbooks import Playbook
from bot.core.ports import UnitOfWork
from bot.core.roles import Right
from bot.core.timers import Timer
from bot.service.context import Services
from bot.service.incidents.handoff import offer
from bot.service.notify.room_opening import is_room_notice

ASKS = {
    StallKind.COMMANDER_NOT_ACKNOWLEDGED: PromptKind.ACK_COMMAND,
    StallKind.HANDOFF_NOT_ACCEPTED: PromptKind.ACCEPT_COMMAND,
    StallKind.APPROVAL_PENDING: PromptKind.APPROVE,
}


async def fire_due(cmd: FireDueTimers, svc: Services) -> Sequence[Event | Command]:
    """One batch, claimed and fired in one unit of work (see the module docstring).
    Its notices go into the outbox together, with one write, at the end."""
    fired: list[tuple[Escalated | None, list[Event | Command]]] = []
    async with svc.uow() as uow:
        held: dict[str, Incident] = {}
        for timer in await uow.timers.claim_due(svc.clock.now(), cmd.limit, cmd.claimer):
            incident = held.get(timer.incident_id) or await _locked(uow, timer.incident_id)
            held[incident.id] = incident
            now = timer.fired_at or svc.clock.now()
            fired.append(await _fire(uow, incident, timer, now, cmd.claimer, svc))
        notices = [n for n, _ in fired if n is not None]
        ids = await uow.outbox.add_all([(n.incident_id, _payload(n)) for n in notices])
        await uow.commit()
    numbered = iter(ids)
    return [
        event
        for notice, endings in fired
        for event in ([] if notice is None else [replace(notice, notice_id=next(numbered))])
        + endings
    ]


async def _locked(uow: UnitOfWork, incident_id: str) -> Incident:
    """Read once per batch, under its lock: no one else changes it until the commit,
    and this batch changes it only through the object read here (``offer``)."""
    incident = await uow.incidents.get(incident_id, for_update=True)
    assert incident is not None
    return incident


async def _fire(
    uow: UnitOfWork, incident: Incident, timer: Timer, now: datetime, claimer: str, svc: Services
) -> tuple[Escalated | None, list[Event | Command]]:
    """The timer's evidence and effects; its notice (None when the stall is resolved)
    is for the caller to put in the outbox."""
    playbook = svc.playbooks[incident.playbook]
    ladder = playbook.ladder(timer.kind)
    lateness = max(0.0, (now - timer.due_at) / timedelta(seconds=1))
    svc.metrics.observe(TIMER_LATENESS, lateness)
    stalled = await _still_stalled(uow, incident, timer)
    step = ladder[timer.step] if timer.step < len(ladder) else Step(0, end=StepEnd.DENY)
    notify = _audience(playbook, incident, timer, step) if stalled else frozenset[str]()
    await uow.incidents.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=What.ESCALATION_TIMER_FIRED,
            actor=SYSTEM,
            at=now,
            outcome=(step.end.value if step.end else "notify") if stalled else "stall resolved",
            details={
                "timer": timer.id,
                "kind": timer.kind.value,
                "step": timer.step,
                "generation": timer.generation,
                "due_at": timer.due_at.isoformat(),
                "lateness_seconds": round(lateness, 3),
                "claimer": claimer,
                "notified": sorted(notify),
            },
        )
    )
    if not stalled:
        return None, []
    endings = await _ending(uow, incident, timer, step, notify, svc)
    await _arm_next(uow, incident, timer, ladder)
    notice = Escalated(
        incident.id,
        timer.kind,
        timer.step,
        tuple(sorted(notify)),
        _text(incident, timer, lateness),
        ASKS.get(timer.kind),
        timer.subject,
    )
    return notice, endings


def _payload(notice: Escalated) -> dict[str, object]:
    return {
        "incident": notice.incident_id,
        "kind": notice.kind.value,
        "step": notice.step,
        "notify": list(notice.notify),
        "text": notice.text,
        "prompt": notice.prompt and notice.prompt.value,
        "ref": notice.ref,
    }


def _notice(notice_id: int, p: dict[str, object]) -> Escalated:
    notify = p.get("notify")
    assert isinstance(notify, list)
    prompt = p.get("prompt")
    return Escalated(
        str(p["incident"]),
        StallKind(str(p["kind"])),
        int(str(p["step"])),
        tuple(str(x) for x in notify),
        str(p["text"]),
        None if prompt is None else PromptKind(str(prompt)),
        str(p["ref"]),
        notice_id=notice_id,
    )


async def deliver_notices(cmd: DeliverNotices, svc: Services) -> Sequence[Event]:
    """Notices whose sending never completed (a crash, a chat outage) go out again:
    at least once, never silently dropped."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        claimed = await uow.outbox.claim_unsent(now, now - timedelta(seconds=cmd.older_than_s), 100)
        await uow.commit()
    return [
        IncidentDeclared(str(p["incident"]), notice_id=n) if is_room_notice(p) else _notice(n, p)
        for n, p in claimed
    ]


async def _still_stalled(uow: UnitOfWork, incident: Incident, timer: Timer) -> bool:
    """Exhaustive over the stall kinds: a new kind fails mypy here until it says when
    it is resolved."""
    kind = timer.kind
    if not incident.is_open:
        return False
    match kind:
        case StallKind.COMMANDER_NOT_ACKNOWLEDGED:
            return not incident.commander_acknowledged
        case StallKind.HANDOFF_NOT_ACCEPTED:
            handoff = incident.pending_handoff
            return handoff is not None and handoff.to.principal == timer.subject
        case StallKind.APPROVAL_PENDING:
            return await _request_is(uow, timer.subject, RequestStatus.AWAITING_APPROVAL)
        case StallKind.ACTION_NOT_RUN:
            return await _request_is(uow, timer.subject, RequestStatus.RUNNING)
        case StallKind.NO_STATUS_UPDATE:
            return True  # any open incident
        case _:
            assert_never(kind)


async def _request_is(uow: UnitOfWork, key: str, wanted: RequestStatus) -> bool:
    request = await uow.incidents.get_request(key)
    return request is not None and request.status is wanted


def _audience(playbook: Playbook, incident: Incident, timer: Timer, step: Step) -> frozenset[str]:
    """Whom this step tells: the step's list, else whoever the stall waits on."""
    if step.notify:
        return playbook.expand(step.notify)
    kind = timer.kind
    match kind:
        case StallKind.APPROVAL_PENDING:
            return playbook.holders(Right.APPROVE)
        case StallKind.HANDOFF_NOT_ACCEPTED:
            return frozenset({timer.subject})
        case (
            StallKind.COMMANDER_NOT_ACKNOWLEDGED
            | StallKind.ACTION_NOT_RUN
            | StallKind.NO_STATUS_UPDATE
        ):
            return frozenset({incident.commander.principal}) if incident.commander else frozenset()
        case _:
            assert_never(kind)


async def _ending(
    uow: UnitOfWork,
    incident: Incident,
    timer: Timer,
    step: Step,
    notify: frozenset[str],
    svc: Services,
) -> list[Event | Command]:
    """The step's ending: the denial as a follow-up command the bus runs after this
    commits; the offer of command made here, in the timer's own transaction."""
    if step.end is StepEnd.DENY and timer.kind is StallKind.APPROVAL_PENDING:
        return [ExpireApproval(timer.subject, "no decision before the deadline")]
    if step.end is StepEnd.OFFER_COMMAND and notify and incident.pending_handoff is None:
        to = Actor.parse(sorted(notify)[0])
        await offer(uow, incident, Handoff(to, SYSTEM, svc.clock.now(), True), svc)
        return [HandoffProposed(incident.id, to=to, by_escalation=True)]
    return []


async def _arm_next(
    uow: UnitOfWork, incident: Incident, timer: Timer, ladder: tuple[Step, ...]
) -> None:
    nxt = timer.step + 1
    if nxt < len(ladder):
        await uow.timers.arm_next(timer, nxt, step_due(timer.started_at, ladder[nxt]))
        return
    if timer.kind is StallKind.APPROVAL_PENDING and nxt >= len(ladder):
        # the final deadline; re-armed after it fires, so a denial lost to a crash
        # before its follow-up ran is tried again (the denial cancels it)
        request = await uow.incidents.get_request(timer.subject)
        if request is not None and request.expires_at is not None:
            deadline = max(request.expires_at, timer.due_at)
            await uow.timers.arm_next(timer, nxt, deadline)  # the final deadline: auto-deny


def _text(incident: Incident, timer: Timer, lateness: float) -> str:
    late = f" (fired {lateness:.0f}s late)" if lateness >= 1 else ""
    waiting = {
        StallKind.COMMANDER_NOT_ACKNOWLEDGED: "the commander has not acknowledged command",
        StallKind.HANDOFF_NOT_ACCEPTED: "a handoff of command has not been accepted",
        StallKind.APPROVAL_PENDING: "an action is waiting for approval",
        StallKind.ACTION_NOT_RUN: "an action was requested but has not run",
        StallKind.NO_STATUS_UPDATE: "there has been no status update",
    }[timer.kind]
    return f"{incident.id}: {waiting}{late}."
