"""The people side of the review: every escalation that fired and why, and every
change of command (named, offered, handed over)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.escalation import StallKind
from bot.core.evidence import What
from bot.evidence.entry_fields import Entry, seq, text, texts, what, who

WAITING = {
    StallKind.COMMANDER_NOT_ACKNOWLEDGED.value: "the commander had not acknowledged command",
    StallKind.HANDOFF_NOT_ACCEPTED.value: "a handoff of command had not been accepted",
    StallKind.APPROVAL_PENDING.value: "an action was waiting for approval",
    StallKind.ACTION_NOT_RUN.value: "an action was requested but had not run",
    StallKind.NO_STATUS_UPDATE.value: "there had been no status update",
}
NOT_STALLED = "stall resolved"


@dataclass(frozen=True)
class Escalation:
    seq: int
    when: str
    stall: str
    why: str
    step: int  # the ladder's step, counted from 1
    ending: str  # notify, reask, offer_command, deny
    notified: tuple[str, ...]
    late_seconds: int  # how late it fired, whole seconds (0: on time)


@dataclass(frozen=True)
class CommandChange:
    seq: int
    when: str
    change: str  # named, offered, handed over
    before: str
    after: str
    why: str


def escalations(entries: Sequence[Entry]) -> list[Escalation]:
    """Timers that fired on a real stall (one that had resolved itself is left out)."""
    return [
        Escalation(
            seq=seq(e),
            when=text(e, "when"),
            stall=text(e, "details", "kind"),
            why=WAITING.get(text(e, "details", "kind"), text(e, "details", "kind")),
            step=_number(text(e, "details", "step")) + 1,
            ending=text(e, "outcome"),
            notified=texts(e, "details", "notified"),
            late_seconds=_late(text(e, "details", "lateness_seconds")),
        )
        for e in entries
        if what(e) == What.ESCALATION_TIMER_FIRED and text(e, "outcome") != NOT_STALLED
    ]


def _late(recorded: str) -> int:
    try:
        return max(int(float(recorded)), 0)
    except (ValueError, OverflowError):
        return 0


def _number(recorded: str) -> int:
    return int(recorded) if recorded.isdigit() and len(recorded) < 6 else 0


def command_changes(entries: Sequence[Entry]) -> list[CommandChange]:
    changes = []
    for entry in entries:
        kind = what(entry)
        if kind == What.COMMANDER_ASSIGNED:
            change = ("named", "", text(entry, "after", "commander"))
        elif kind == What.HANDOFF_PROPOSED:
            change = (
                f"offered by {who(entry)}",
                text(entry, "before", "commander"),
                text(entry, "after", "proposed"),
            )
        elif kind == What.COMMANDER_HANDED_OVER:
            change = (
                "handed over",
                text(entry, "before", "commander"),
                text(entry, "after", "commander"),
            )
        else:
            continue
        changes.append(CommandChange(seq(entry), text(entry, "when"), *change, text(entry, "why")))
    return changes
