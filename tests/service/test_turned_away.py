"""A command about no incident is turned away: a ``TurnedAway``, never a ``Refused``
with an empty incident id, and nothing is recorded anywhere."""

from __future__ import annotations

from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.commands import (
    AcceptCommand,
    AcknowledgeCommand,
    ChangeStatus,
    Command,
    DecideApproval,
    ExportEvidence,
    Snooze,
    UndoAction,
)
from bot.core.escalation import StallKind
from bot.core.events import TurnedAway
from bot.core.incidents import Status
from tests.service.conftest import World

WHO = Actor("slack", "U1")
NOWHERE: tuple[Command, ...] = (
    AcknowledgeCommand(WHO, incident_id="INC-20261122-0404"),
    AcceptCommand(WHO, "INC-20261122-0404"),
    ChangeStatus(WHO, Status.CONTAINED, incident_id="INC-20261122-0404"),
    Snooze(WHO, StallKind.NO_STATUS_UPDATE, 30, "busy", incident_id="INC-20261122-0404"),
    Snooze(WHO, StallKind.NO_STATUS_UPDATE, 0, "", incident_id="INC-20261122-0404"),
    ExportEvidence("INC-20261122-0404", WHO),
    UndoAction("u" * 64, WHO),
    DecideApproval("u" * 64, WHO, Decision.APPROVE, "h" * 64, "fine"),
)


async def test_commands_about_no_incident_are_turned_away_and_leave_no_trace(
    world: World,
) -> None:
    for command in NOWHERE:
        (answer,) = await world.bus.handle(command)
        assert isinstance(answer, TurnedAway), command
        assert answer.actor == WHO and answer.reason and not answer.incident_id
    assert world.database.committed.lines == {}
    assert world.chat.told == []
