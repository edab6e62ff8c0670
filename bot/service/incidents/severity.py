"""The commander regrades an incident's severity, up or down, saying why.

Alerts only ever raise severity (``declare._raise_severity``); a person may also
lower it, so only the commander may, and the reason goes into the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import ChangeSeverity
from bot.core.events import Event, Refused, SeverityChanged
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.service.context import Services
from bot.service.incidents.lookup import locked_incident


async def change_severity(cmd: ChangeSeverity, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await locked_incident(uow.incidents, cmd.incident_id, cmd.room)
        if incident is None:
            return [Refused("", cmd.actor, "no incident here: use its room")]
        refusal = _refusal(incident, cmd)
        before = incident.severity
        if refusal is None:
            incident.severity = cmd.severity
            await uow.incidents.save(incident)
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=incident.id,
                what=What.SEVERITY_CHANGE_REFUSED if refusal else What.SEVERITY_CHANGED,
                actor=cmd.actor,
                at=svc.clock.now(),
                why=cmd.reason,
                before={"severity": before.value},
                after=None if refusal else {"severity": cmd.severity.value},
                outcome=refusal,
            )
        )
        await uow.commit()
    if refusal is not None:
        return [Refused(incident.id, cmd.actor, refusal)]
    return [SeverityChanged(incident.id, cmd.actor, before.value, cmd.severity.value, cmd.reason)]


def _refusal(incident: Incident, cmd: ChangeSeverity) -> str | None:
    if incident.commander != cmd.actor:
        return "only the incident commander may change its severity"
    if not incident.is_open:
        return f"{incident.id} is {incident.status.value}"
    if not cmd.reason.strip():
        return "say why: `/incident severity SEV1..SEV4 WHY`"
    if incident.severity is cmd.severity:
        return f"{incident.id} is already {cmd.severity.value}"
    return None
