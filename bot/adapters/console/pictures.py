"""Pictures where people would rather look than read: the incident timeline on a
labelled time axis (one lane per person, the milestones marked), and each running
escalation ladder as numbered steps with their due times. Plain data for the
templates, which escape every label; the ledger table beside them says it all in text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.escalation import StallKind, Step, StepEnd
from bot.core.timers import Timer

Place = Callable[[datetime], float]
WIDTH = 900
LANE = 30
LEFT = 210
RIGHT = 30
AXIS = 40  # room under the lanes for the time axis
TICKS = (1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
MAX_TICKS = 8
MILESTONES = {
    "incident declared": "declared",
    "command acknowledged": "acknowledged",
    "commander handed over": "command accepted",
}
STALLS = {
    StallKind.COMMANDER_NOT_ACKNOWLEDGED: "Commander has not acknowledged",
    StallKind.HANDOFF_NOT_ACCEPTED: "Handoff not accepted",
    StallKind.APPROVAL_PENDING: "Approval pending",
    StallKind.ACTION_NOT_RUN: "Approved action not run",
    StallKind.NO_STATUS_UPDATE: "No status update",
}
ENDS = {
    None: "notify",
    StepEnd.REASK: "ask again",
    StepEnd.OFFER_COMMAND: "offer command",
    StepEnd.DENY: "deny the request",
}


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    who: str
    what: str
    when: str


@dataclass(frozen=True)
class Lane:
    y: float
    who: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Mark:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    lanes: list[Lane]
    points: list[Point]
    ticks: list[Tick]
    marks: list[Mark]
    height: float
    axis_y: float
    width: int = WIDTH
    left: int = LEFT


def _when(entry: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(entry["when"]).replace("Z", "+00:00"))


def _who(entry: dict[str, object]) -> str:
    record = entry.get("who") or {}
    assert isinstance(record, dict)
    return str(record.get("display") or f"{record.get('platform')}:{record.get('user_id')}")


def _short(who: str) -> str:
    return who if len(who) <= 30 else who[:29] + "…"


def timeline(entries: list[dict[str, object]]) -> Timeline:
    """Lanes per person, one point per entry, a time axis with round ticks."""
    if not entries:
        return Timeline([], [], [], [], LANE * 2, LANE)
    times = [_when(e) for e in entries]
    start = min(times)
    span = max((max(times) - start).total_seconds(), 1.0)

    def x_of(at: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (at - start).total_seconds() / span

    people: list[str] = []
    points = []
    for entry, at in zip(entries, times, strict=True):
        who = _who(entry)
        if who not in people:
            people.append(who)
        y = LANE * (people.index(who) + 1)
        points.append(Point(x_of(at), y, who, str(entry["what"]), at.strftime("%H:%M:%S")))
    axis_y = LANE * (len(people) + 0.6)
    lanes = [Lane(LANE * (i + 1), _short(who)) for i, who in enumerate(people)]
    return Timeline(
        lanes,
        points,
        _ticks(start, span, x_of),
        _marks(entries, times, x_of),
        axis_y + AXIS,
        axis_y,
    )


def _ticks(start: datetime, span: float, x_of: Place) -> list[Tick]:
    step = next((t for t in TICKS if span / t <= MAX_TICKS), TICKS[-1])
    first = datetime.fromtimestamp((int(start.timestamp()) // step + 1) * step, start.tzinfo)
    shape = "%H:%M:%S" if step < 60 else "%H:%M"
    ticks = [Tick(x_of(start), start.strftime(shape))]
    at = first
    while (at - start).total_seconds() <= span:
        if (at - start).total_seconds() >= span / (MAX_TICKS * 2):
            ticks.append(Tick(x_of(at), at.strftime(shape)))
        at += timedelta(seconds=step)
    return ticks


def _marks(entries: list[dict[str, object]], times: list[datetime], x_of: Place) -> list[Mark]:
    """The milestones a review measures: declared, acknowledged, contained."""
    marks: dict[str, Mark] = {}
    for entry, at in zip(entries, times, strict=True):
        label = MILESTONES.get(str(entry["what"]))
        after = entry.get("after")
        if entry["what"] == "status changed" and isinstance(after, dict):
            label = str(after.get("status") or "")
        if label and label not in marks:
            marks[label] = Mark(x_of(at), label)
    return list(marks.values())


@dataclass(frozen=True)
class Rung:
    number: int
    after: str
    does: str
    due: str
    state: str  # "done", "next" or "later"


@dataclass(frozen=True)
class Ladder:
    kind: str
    title: str
    subject: str
    rungs: list[Rung]
    due: str


def _rung(n: int, step: Step, timer: Timer) -> Rung:
    notify = ", ".join(step.notify)
    does = ENDS[step.end] + (f" · tells {notify}" if notify else "")
    due_at = timer.started_at + timedelta(minutes=step.after_minutes)
    state = "done" if n < timer.step else ("next" if n == timer.step else "later")
    return Rung(n + 1, f"+{step.after_minutes} min", does, f"{due_at:%H:%M} UTC", state)


def ladders(
    pending: list[Timer], ladders_of: dict[StallKind, tuple[Step, ...]], now: datetime
) -> list[Ladder]:
    rows = []
    for timer in pending:
        steps = ladders_of.get(timer.kind, ())
        left = timer.due_at - now
        minutes = int(left.total_seconds() // 60)
        due = "due now" if left <= timedelta(0) else f"next step in {minutes} min"
        rows.append(
            Ladder(
                timer.kind.value,
                STALLS.get(timer.kind, timer.kind.value),
                timer.subject,
                [_rung(n, s, timer) for n, s in enumerate(steps)],
                f"{due} ({timer.due_at:%H:%M} UTC)",
            )
        )
    return rows
