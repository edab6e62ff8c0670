"""Finding the incident a command is about: by id, or by the room it was typed in."""

from __future__ import annotations

from bot.core.incidents import Incident
from bot.core.ports import IncidentStore


async def locked_incident(
    store: IncidentStore, incident_id: str | None, room: tuple[str, str] | None
) -> Incident | None:
    """The incident, locked for this transaction; None when neither names one."""
    if incident_id is None and room is not None:
        found = await store.find_by_room(*room)
        incident_id = found.id if found else None
    if incident_id is None:
        return None
    return await store.get(incident_id, for_update=True)
