"""Steps a vendor executes for a vendor-managed identity.

Blastwall cannot call the vendor, so the step is recorded as requested of them
(by the commander or a responder), then confirmed by the commander with the
vendor's reference. Both are evidence; the card shows each step's state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.core.commands import VendorStepUpdate
from bot.core.events import Event, Refused, VendorStepRecorded
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.core.playbooks import Playbook
from bot.core.ports import IncidentStore
from bot.service.context import Services
from bot.service.incidents.lookup import locked_incident

REQUESTED, CONFIRMED = What.VENDOR_STEP_REQUESTED, What.VENDOR_STEP_CONFIRMED


async def vendor_states(store: IncidentStore, incident_id: str) -> dict[str, str]:
    """Each step's state as the card shows it, read from the ledger."""
    states: dict[str, str] = {}
    for entry in map(json.loads, await store.evidence_lines(incident_id)):
        after, who = entry.get("after") or {}, entry.get("actor") or {}
        principal = f"{who.get('platform')}:{who.get('user_id')}"
        if entry.get("what") == REQUESTED:
            states[after["step"]] = f"requested of the vendor by {principal}"
        elif entry.get("what") == CONFIRMED:
            states[after["step"]] = (
                f"done by the vendor, confirmed by {principal}, reference {after['reference']}"
            )
    return states


async def update_vendor_step(cmd: VendorStepUpdate, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await locked_incident(uow.incidents, cmd.incident_id, cmd.room)
        if incident is None:
            return [Refused("", cmd.actor, "no incident here: use its room")]
        playbook = svc.playbooks[incident.playbook]
        states = await vendor_states(uow.incidents, incident.id)
        refusal = _refusal(incident, playbook, cmd, states)
        if refusal is not None:
            return [Refused(incident.id, cmd.actor, refusal)]
        record = _record(incident, playbook, cmd, svc)
        await uow.incidents.append_evidence(record)
        await uow.commit()
    assert playbook.vendor is not None
    step = playbook.vendor.step(cmd.step_id)
    assert step is not None
    text = (
        f"Vendor step {step.id} ({step.label}) confirmed done by {cmd.actor.principal}, "
        f"vendor reference {cmd.reference}."
        if cmd.reference
        else f"Vendor step {step.id} ({step.label}) requested of {playbook.vendor.name} "
        f"({playbook.vendor.contact}) by {cmd.actor.principal}."
    )
    return [VendorStepRecorded(incident.id, cmd.actor, text)]


def _refusal(
    incident: Incident, playbook: Playbook, cmd: VendorStepUpdate, states: dict[str, str]
) -> str | None:
    vendor = playbook.vendor
    if vendor is None or not any(i.vendor_managed for i in incident.identities):
        return "no vendor-managed identity with a vendor in this incident's playbook"
    if vendor.step(cmd.step_id) is None:
        return f"no vendor step {cmd.step_id!r}: " + ", ".join(s.id for s in vendor.steps)
    if cmd.reference:
        if incident.commander != cmd.actor:
            return "only the incident commander confirms a vendor step"
        if cmd.step_id not in states:
            return f"vendor step {cmd.step_id} was not requested yet"
        return None
    if incident.commander == cmd.actor or cmd.actor.principal in playbook.responders():
        return None
    return "only the commander or a responder may request a vendor step"


def _record(
    incident: Incident, playbook: Playbook, cmd: VendorStepUpdate, svc: Services
) -> EvidenceRecord:
    assert playbook.vendor is not None
    after: dict[str, object] = {"step": cmd.step_id, "vendor": playbook.vendor.name}
    if cmd.reference:
        after["reference"] = cmd.reference
    else:
        after["contact"] = playbook.vendor.contact
    return EvidenceRecord(
        incident_id=incident.id,
        what=CONFIRMED if cmd.reference else REQUESTED,
        actor=cmd.actor,
        at=svc.clock.now(),
        after=after,
    )
