"""The incident aggregate: severity, lifecycle, commander, affected identities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.core.actors import Actor
from bot.core.identities import AffectedIdentity
from bot.core.roles import CommanderTerm, hand_over


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def rank(self) -> int:
        """1 is the most severe; ``a.rank <= b.rank`` means a is at least as severe as b."""
        return int(self.value[-1])

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank


class Status(StrEnum):
    DECLARED = "declared"
    CONTAINED = "contained"
    RECOVERING = "recovering"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Environment(StrEnum):
    PRODUCTION = "production"
    NON_PRODUCTION = "non-production"


# Forward along the lifecycle, plus the two shortcuts responders need:
# a false positive resolves straight from declared, and a containment that
# needs no recovery resolves from contained. Recovering may fall back to
# contained when a restore turns out unsafe. Closed is final.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DECLARED: frozenset({Status.CONTAINED, Status.RESOLVED}),
    Status.CONTAINED: frozenset({Status.RECOVERING, Status.RESOLVED}),
    Status.RECOVERING: frozenset({Status.CONTAINED, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

_ID = re.compile(r"^INC-(\d{8})-(\d{4,})$")


class IllegalTransition(Exception):
    def __init__(self, current: Status, wanted: Status) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        super().__init__(
            f"an incident cannot go from {current.value} to {wanted.value} (allowed: {allowed})"
        )
        self.current = current
        self.wanted = wanted


def incident_id(day: date, number: int) -> str:
    """Human-friendly and sortable: ``INC-20261122-0007`` is the 7th of that UTC day."""
    if number < 1:
        raise ValueError("incident numbers start at 1")
    return f"INC-{day:%Y%m%d}-{number:04d}"


def is_incident_id(value: str) -> bool:
    return _ID.match(value) is not None


@dataclass(frozen=True)
class RoomRef:
    """Where the incident lives on a chat platform (a Slack channel, a Teams chat)."""

    platform: str
    room_id: str
    name: str


@dataclass(frozen=True)
class MessageRef:
    platform: str
    room_id: str
    message_id: str


@dataclass(frozen=True)
class Handoff:
    """A proposed change of command. Until ``to`` accepts, the commander stays in command."""

    to: Actor
    proposed_by: Actor
    proposed_at: datetime
    by_escalation: bool = False


@dataclass
class Incident:
    id: str
    title: str
    severity: Severity
    environment: Environment
    playbook: str
    declared_at: datetime
    declared_by: Actor
    status: Status = Status.DECLARED
    identities: list[AffectedIdentity] = field(default_factory=list)
    commanders: list[CommanderTerm] = field(default_factory=list)
    responders: list[Actor] = field(default_factory=list)
    room: RoomRef | None = None
    card: MessageRef | None = None
    summary: str = ""
    commander_acknowledged: bool = False
    pending_handoff: Handoff | None = None

    @property
    def commander(self) -> Actor | None:
        open_terms = [t.actor for t in self.commanders if t.handed_over_at is None]
        return open_terms[0] if open_terms else None

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.RESOLVED, Status.CLOSED)

    def transition(self, to: Status) -> Status:
        """Move along the lifecycle; returns the previous status for the evidence entry."""
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, to)
        previous, self.status = self.status, to
        return previous

    def add_identity(self, identity: AffectedIdentity) -> bool:
        """Add an abused identity unless it is already known; True when added."""
        if any(i.key == identity.key for i in self.identities):
            return False
        self.identities.append(identity)
        return True

    def identity(self, key: str) -> AffectedIdentity | None:
        return next((i for i in self.identities if i.key == key), None)

    def assign_commander(self, actor: Actor, at: datetime, accepted: bool = False) -> Actor | None:
        """Give command to ``actor``; returns who had it.

        ``accepted`` is true when the new commander took command themselves (a
        handoff they accepted); a commander named by a playbook must acknowledge.
        """
        previous = self.commander
        self.commanders = hand_over(self.commanders, actor, at)
        self.commander_acknowledged = accepted
        self.pending_handoff = None
        if actor not in self.responders:
            self.responders.append(actor)
        return previous

    def add_responder(self, actor: Actor) -> None:
        if actor not in self.responders:
            self.responders.append(actor)
