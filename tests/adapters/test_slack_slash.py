from __future__ import annotations

from bot.adapters.slack import slash
from bot.core.actors import Actor
from bot.core.commands import (
    AcknowledgeCommand,
    AddIdentity,
    ChangeSeverity,
    ChangeStatus,
    ProposeHandoff,
    Snooze,
    VendorStepUpdate,
)
from bot.core.escalation import StallKind
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity, Status

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
        "severity SEV1",
        "severity SEV9 why",
        "identity add aws access_key",
        "identity add aws nonsense AKIA1",
        "vendor confirm rotate",
        "vendor ask rotate",
    ):
        assert slash.parse(text, "UME", "C1") == slash.USAGE


def test_severity_identity_and_vendor_steps_become_commands() -> None:
    assert slash.parse("severity sev1 key used from abroad", "UME", "C1") == ChangeSeverity(
        ME, Severity.SEV1, "key used from abroad", room=ROOM
    )
    identity = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIA1", owner="payments")
    assert slash.parse("identity add AWS access_key AKIA1 payments", "UME", "C1") == AddIdentity(
        ME, identity, room=ROOM
    )
    assert slash.parse("vendor request rotate", "UME", "C1") == VendorStepUpdate(
        ME, "rotate", room=ROOM
    )
    assert slash.parse("vendor confirm rotate ACME-1 (ticket)", "UME", "C1") == VendorStepUpdate(
        ME, "rotate", "ACME-1 (ticket)", room=ROOM
    )
