"""Adding an identity to an open incident by hand.

A detector may know only one key of a leak; a responder often knows the rest.
Whoever the playbook invites (any right) or the commander may add one; it is
recorded as evidence, and the card gains its containment buttons.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.actors import Actor
from bot.core.commands import AddIdentity
from bot.core.events import AlertCoalesced, Event, Refused, Told
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.service.context import Services
from bot.service.incidents.lookup import locked_incident


async def add_identity(cmd: AddIdentity, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await locked_incident(uow.incidents, cmd.incident_id, cmd.room)
        if incident is None:
            return [Refused("", cmd.actor, "no incident here: use its room")]
        refusal = _refusal(incident, cmd, svc)
        if refusal is not None:
            await uow.incidents.append_evidence(_record(incident, cmd, svc, refusal))
            await uow.commit()
            return [Refused(incident.id, cmd.actor, refusal)]
        added = incident.add_identity(cmd.identity)
        if added:
            await uow.incidents.save(incident)
            await uow.incidents.append_evidence(_record(incident, cmd, svc, None))
        await uow.commit()
    if not added:
        return [Told(incident.id, cmd.actor, f"{cmd.identity.key} is already on {incident.id}.")]
    return [
        AlertCoalesced(incident.id, identity_key=cmd.identity.key, added=True),
        Told(incident.id, cmd.actor, f"Added {cmd.identity.key} to {incident.id}."),
    ]


def _refusal(incident: Incident, cmd: AddIdentity, svc: Services) -> str | None:
    return why_not_add(incident, cmd.actor, svc)


def why_not_add(incident: Incident, actor: Actor, svc: Services) -> str | None:
    """Why ``actor`` may not add an identity here (None: they may); the console asks it
    before showing the form, the handler on the submit, so both say the same."""
    if not incident.is_open:
        return f"{incident.id} is {incident.status.value}: identities are added to open incidents"
    playbook = svc.playbooks[incident.playbook]
    if incident.commander == actor or actor.principal in playbook.responders():
        return None
    return "only the commander or a responder of this incident's playbook may add identities"


def _record(
    incident: Incident, cmd: AddIdentity, svc: Services, refusal: str | None
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=What.IDENTITY_ADD_REFUSED if refusal else What.IDENTITY_ADDED,
        actor=cmd.actor,
        at=svc.clock.now(),
        after={"identity": cmd.identity.as_record()},
        outcome=refusal,
    )
