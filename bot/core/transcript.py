"""The channel's transcript: what people said in an incident's room, as evidence.

A message, each edit of it and its deletion are separate entries; nothing already
recorded is rewritten. Each is keyed by the room's own id for the message (a Slack
``ts``), its kind and, for an edit, the edit's own id, so that a retried event, a
second replica or a backfill after downtime can never record it twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.evidence import What

SAID = (What.CHANNEL_MESSAGE, What.CHANNEL_MESSAGE_EDITED, What.CHANNEL_MESSAGE_DELETED)


@dataclass(frozen=True)
class MessageKey:
    """One transcript entry's identity: unique per incident (a database constraint)."""

    message_id: str
    kind: What
    change_id: str = ""  # an edit's own id (Slack: ``edited.ts``); empty otherwise

    def __post_init__(self) -> None:
        if self.kind not in SAID:
            raise ValueError(f"not a transcript kind: {self.kind}")
        if not self.message_id:
            raise ValueError("a transcript entry needs the message's id")


@dataclass(frozen=True)
class TranscriptPosition:
    """Where an incident's transcript stands, for catching up after downtime:
    the newest message id recorded (None before the first) and the threads known."""

    last_message_id: str | None
    threads: tuple[str, ...] = ()
