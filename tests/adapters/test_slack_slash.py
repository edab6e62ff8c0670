from __future__ import annotations

from bot.adapters.slack import slash
from bot.core.actors import Actor
from bot.core.commands import AcknowledgeCommand, ChangeStatus, ProposeHandoff, Snooze
from bot.core.escalation import StallKind
from bot.core.incidents import Status

ME = Actor("slack", "UME")
ROOM = ("slack", "C1")


def test_subcommands_become_commands() -> None:
    assert slash.parse("", "UME", "C1") == slash.FORM
    assert slash.parse("ack", "UME", "C1") == AcknowledgeCommand(ME, room=ROOM)
    assert slash.parse("commander <@U0NEW|new>", "UME", "C1") == ProposeHandoff(
        ME, Actor("slack", "U0NEW"), room=ROOM
    )
    assert slash.parse("status Resolved rotated and verified", "UME", "C1") == ChangeStatus(
        ME, Status.RESOLVED, room=ROOM, reason="rotated and verified"
    )
    assert slash.parse("snooze no_status_update 30 waiting on vendor", "UME", "C1") == Snooze(
        ME, StallKind.NO_STATUS_UPDATE, 30, "waiting on vendor", room=ROOM
    )


def test_anything_else_gets_the_usage() -> None:
    for text in (
        "commander bob",
        "status sleeping",
        "snooze forever",
        "snooze nap 5 x",
        "dance",
        "open",
    ):
        assert slash.parse(text, "UME", "C1") == slash.USAGE
