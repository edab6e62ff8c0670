"""An identity's own activity: what it did, read from the system that issued it.

An alert says a credential leaked; the vendor's own log says what the credential
did. Blastwall reads that log when an incident is declared and again when it is
closed, so the ledger holds the identity's activity next to the decisions taken
about it. Reading it is a *collection*: one identity, one phase, one bounded
window, done once whatever the retries or replicas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.core.identities import AffectedIdentity

MAX_WINDOW = timedelta(days=90)  # CloudTrail keeps 90 days; older asks are not answered
MAX_EVENTS = 1000  # one collection never writes more entries than this


class Phase(StrEnum):
    """When the activity was collected. Stored values: never change one."""

    DECLARED = "declared"
    CLOSED = "closed"


@dataclass(frozen=True)
class ActivityWindow:
    """What to ask for: events in [since, until], at most ``max_events`` of them."""

    since: datetime
    until: datetime
    max_events: int

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("an activity window needs UTC times")
        if self.since > self.until:
            raise ValueError("an activity window cannot end before it starts")
        if not 1 <= self.max_events <= MAX_EVENTS:
            raise ValueError(f"max_events must be 1..{MAX_EVENTS}")

    def holds(self, at: datetime) -> bool:
        return self.since <= at <= self.until


@dataclass(frozen=True)
class ActivityEvent:
    """One thing the identity did, as the vendor recorded it. ``record`` is the vendor's
    own event, unredacted here; the service redacts it before it is stored."""

    id: str
    name: str
    at: datetime
    actor: str
    record: dict[str, object] = field(default_factory=dict)

    def as_details(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "at": iso(self.at),
            "actor": self.actor,
            "record": self.record,
        }


@dataclass(frozen=True)
class ActivityReport:
    """A finished query: what was asked (``query``), what came back, and whether the
    vendor had more than the bound let through."""

    source: str
    query: dict[str, object]
    events: tuple[ActivityEvent, ...]
    truncated: bool = False


class ActivityUnavailable(Exception):
    """The vendor could not answer (refused, throttled past the bound, down).
    Carries the query as far as it was made, so the failure is recorded with it."""

    def __init__(self, source: str, query: dict[str, object], reason: str) -> None:
        super().__init__(reason)
        self.source = source
        self.query = query
        self.reason = reason


@dataclass(frozen=True)
class Collection:
    """One identity's activity to read for one incident phase. The triple
    (incident, identity key, phase) is unique: it is collected once."""

    incident_id: str
    identity: AffectedIdentity
    phase: Phase
    since: datetime
    until: datetime

    @property
    def identity_key(self) -> str:
        return self.identity.key


def collection_window(
    phase: Phase,
    declared_at: datetime,
    now: datetime,
    lookback: timedelta,
    last_until: datetime | None,
) -> tuple[datetime, datetime]:
    """The window a phase reads.

    Declared: the ``lookback`` before the declaration, up to the declaration.
    Closed: from where this identity's last collection ended (or, if it had none,
    the lookback before the declaration) up to the close. Never longer than
    ``MAX_WINDOW``.
    """
    start = declared_at - lookback
    if phase is Phase.DECLARED:
        until = declared_at
    else:
        until = now
        start = last_until if last_until is not None else start
    start = max(start, until - MAX_WINDOW)
    return min(start, until), until


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
