"""What the handlers are given: the ports, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.actions import ActionSpec
from bot.core.incidents import Incident
from bot.core.playbooks import Playbook
from bot.core.ports import CheckpointSigner, Clock, Connector, Notifier, UnitsOfWork

CHATS = ("slack", "teams")


@dataclass(frozen=True)
class Services:
    uow: UnitsOfWork
    clock: Clock
    playbooks: Mapping[str, Playbook]
    catalogue: Mapping[str, ActionSpec]
    connectors: Mapping[str, Connector]
    notifiers: Mapping[str, Notifier]
    default_platform: str
    signer: CheckpointSigner
    call_lease_s: float = 30.0  # how long a call's lease lasts unless renewed (actions/leases.py)
    bulk_concurrency: int = 8  # targets a bulk action runs at once (actions/bulk.py)

    def notifier_for(self, incident: Incident) -> Notifier | None:
        """The room's platform; before there is a room, the chat it was declared from
        (a Teams user's incident opens in Teams even when Slack is on), else the default."""
        platform = incident.room.platform if incident.room else self.default_platform
        declared_in = incident.declared_by.platform
        if incident.room is None and declared_in in CHATS and declared_in in self.notifiers:
            platform = declared_in
        return self.notifiers.get(platform)
