"""``/incident …`` text to a command. Pure translation, so it is tested without Slack."""

from __future__ import annotations

import re

from bot.core.actors import Actor
from bot.core.commands import (
    AcknowledgeCommand,
    AddIdentity,
    ChangeSeverity,
    ChangeStatus,
    Command,
    DeclareIncident,
    ProposeHandoff,
    Snooze,
    VendorStepUpdate,
)
from bot.core.escalation import StallKind
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity, Status

USAGE = (
    "Usage: `/incident open TITLE` declares an incident; `/incident` alone opens a form. "
    "In an incident channel: `/incident ack` acknowledges command; "
    "`/incident commander @someone` offers them command; "
    "`/incident status contained|recovering|resolved|closed [reason]`; "
    "`/incident severity SEV1..SEV4 WHY` (the commander); "
    "`/incident identity add SYSTEM KIND ID [OWNER]`; "
    "`/incident vendor request STEP` or `/incident vendor confirm STEP VENDOR-REFERENCE`; "
    "`/incident snooze KIND MINUTES REASON` (KIND: "
    + ", ".join(k.value for k in StallKind)
    + "). `/incident help` shows this."
)
FORM = "form"
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def parse(text: str, user_id: str, channel_id: str) -> Command | str:
    """A command, ``FORM`` for the declaration modal, or the usage text."""
    text = text.strip()
    if not text:
        return FORM
    actor = Actor("slack", user_id)
    room = ("slack", channel_id)
    verb, _, rest = text.partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb == "open" and rest:
        return DeclareIncident(title=rest[:200], source="manual", declared_by=actor)
    if verb == "ack" and not rest:
        return AcknowledgeCommand(actor=actor, room=room)
    if verb == "commander":
        found = _MENTION.match(rest)
        return ProposeHandoff(actor, Actor("slack", found.group(1)), room=room) if found else USAGE
    if verb == "status" and rest:
        return _status(actor, room, rest)
    if verb == "snooze":
        return _snooze(actor, room, rest)
    if verb == "severity":
        return _severity(actor, room, rest)
    if verb == "identity":
        return _identity(actor, room, rest)
    if verb == "vendor":
        return _vendor(actor, room, rest)
    return USAGE


def _vendor(actor: Actor, room: tuple[str, str], rest: str) -> Command | str:
    parts = rest.split(" ", 2)
    if len(parts) == 2 and parts[0].lower() == "request":
        return VendorStepUpdate(actor=actor, step_id=parts[1], room=room)
    if len(parts) == 3 and parts[0].lower() == "confirm" and parts[2].strip():
        reference = parts[2].strip()[:200]
        return VendorStepUpdate(actor=actor, step_id=parts[1], reference=reference, room=room)
    return USAGE


def _severity(actor: Actor, room: tuple[str, str], rest: str) -> Command | str:
    word, _, reason = rest.partition(" ")
    try:
        severity = Severity(word.upper())
    except ValueError:
        return USAGE
    if not reason.strip():
        return USAGE
    return ChangeSeverity(actor=actor, severity=severity, reason=reason.strip(), room=room)


def _identity(actor: Actor, room: tuple[str, str], rest: str) -> Command | str:
    parts = rest.split()
    if len(parts) not in (4, 5) or parts[0].lower() != "add":
        return USAGE
    try:
        kind = IdentityKind(parts[2].lower())
    except ValueError:
        return USAGE
    owner = parts[4] if len(parts) == 5 else None
    identity = AffectedIdentity(parts[1].lower()[:64], kind, parts[3][:256], owner=owner)
    return AddIdentity(actor=actor, identity=identity, room=room)


def _status(actor: Actor, room: tuple[str, str], rest: str) -> Command | str:
    word, _, reason = rest.partition(" ")
    try:
        return ChangeStatus(
            actor=actor, status=Status(word.lower()), room=room, reason=reason.strip()
        )
    except ValueError:
        return USAGE


def _snooze(actor: Actor, room: tuple[str, str], rest: str) -> Command | str:
    parts = rest.split(" ", 2)
    if len(parts) < 3 or not parts[1].isdigit():
        return USAGE
    try:
        kind = StallKind(parts[0])
    except ValueError:
        return USAGE
    return Snooze(actor=actor, kind=kind, minutes=int(parts[1]), reason=parts[2].strip(), room=room)
