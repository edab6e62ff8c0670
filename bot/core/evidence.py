"""What an evidence entry says, before it is chained, hashed and signed.

The chaining (canonical JSON, hashes, checkpoints) lives in ``bot.evidence``;
the core only decides *what* is recorded for each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.actors import Actor


@dataclass(frozen=True)
class EvidenceRecord:
    """who / what / when / why / under which right / before-after / outcome."""

    incident_id: str
    what: str
    actor: Actor
    at: datetime
    why: str = ""
    right: str | None = None
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    outcome: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    def as_body(self) -> dict[str, object]:
        """The JSON-ready body (datetimes as UTC ISO-8601 with a Z)."""
        return {
            "incident": self.incident_id,
            "what": self.what,
            "who": {
                "platform": self.actor.platform,
                "user_id": self.actor.user_id,
                "display": self.actor.display,
            },
            "when": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "why": self.why,
            "right": self.right,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
            "details": self.details,
        }
