"""What the handlers are given: the ports, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.actions import ActionSpec
from bot.core.incidents import Incident
from bot.core.measures import UNMEASURED
from bot.core.playbooks import Playbook
from bot.core.ports import CheckpointSigner, Clock, Connector, Metrics, Notifier, UnitsOfWork

CHATS = ("slack", "teams")
Redact = Callable[[dict[str, object]], dict[str, object]]


def _kept(body: dict[str, object]) -> dict[str, object]:
    return body


@dataclass(frozen=True)
class ActivitySettings:
    """How identity activity is collected (bot/service/activity): whether at all, how far
    before the declaration to look, how many events one collection may record, and how
    long one process holds a collection before another may take it over."""

    enabled: bool = True
    lookback_s: float = 86400.0
    max_events: int = 100
    claim_s: float = 300.0


def _always_on() -> bool:
    return True


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
    automatic_on: Callable[[], bool] = _always_on  # the kill switch, asked at each decision
    activity: ActivitySettings = ActivitySettings()
    redact: Redact = _kept  # the deployment's redactor, for what vendors send back
    bulk_concurrency: int = 8  # targets a bulk action runs at once (actions/bulk.py)
    metrics: Metrics = UNMEASURED  # histograms for /metrics (bot.core.measures)

    def notifier_for(self, incident: Incident) -> Notifier | None:
        """The room's platform; before there is a room, the chat it was declared from
        (a Teams user's incident opens in Teams even when Slack is on), else the default."""
        platform = incident.room.platform if incident.room else self.default_platform
        declared_in = incident.declared_by.platform
        if incident.room is None and declared_in in CHATS and declared_in in self.notifiers:
            platform = declared_in
        return self.notifiers.get(platform)
