"""Pictures where people would rather look than read: the incident timeline on a
time axis (who did what, when), and the escalation ladder with where each timer
stands. Plain data for the SVG templates; the templates escape every label."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.escalation import StallKind, Step
from bot.core.timers import Timer

WIDTH = 900
LANE = 28
LEFT = 150


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


def timeline(entries: list[dict[str, object]]) -> tuple[list[Lane], list[Point], float]:
    """Lanes per person, one point per entry; returns (lanes, points, height)."""
    if not entries:
        return [], [], LANE * 2
    times = [datetime.fromisoformat(str(e["when"]).replace("Z", "+00:00")) for e in entries]
    start, span = min(times), max((max(times) - min(times)).total_seconds(), 1.0)
    people: list[str] = []
    points = []
    for entry, at in zip(entries, times, strict=True):
        who_record = entry.get("who") or {}
        assert isinstance(who_record, dict)
        who = str(
            who_record.get("display") or f"{who_record.get('platform')}:{who_record.get('user_id')}"
        )
        if who not in people:
            people.append(who)
        x = LEFT + (WIDTH - LEFT - 20) * (at - start).total_seconds() / span
        points.append(
            Point(
                x, LANE * (people.index(who) + 1), who, str(entry["what"]), at.strftime("%H:%M:%S")
            )
        )
    lanes = [Lane(LANE * (i + 1), who) for i, who in enumerate(people)]
    return lanes, points, LANE * (len(people) + 1.5)


@dataclass(frozen=True)
class Rung:
    x: float
    label: str
    current: bool


@dataclass(frozen=True)
class Ladder:
    kind: str
    y: float
    rungs: list[Rung]
    due: str


def ladders(
    pending: list[Timer], ladders_of: dict[StallKind, tuple[Step, ...]], now: datetime
) -> tuple[list[Ladder], float]:
    rows = []
    for n, timer in enumerate(pending):
        steps = ladders_of.get(timer.kind, ())
        longest = max([s.after_minutes for s in steps] + [1])
        rungs = [
            Rung(
                LEFT + (WIDTH - LEFT - 40) * s.after_minutes / longest,
                f"+{s.after_minutes}m {s.end.value if s.end else 'notify'}",
                i == timer.step,
            )
            for i, s in enumerate(steps)
        ]
        left = timer.due_at - now
        due = "due now" if left <= timedelta(0) else f"in {int(left.total_seconds() // 60)}m"
        rows.append(Ladder(timer.kind.value, LANE * (n + 1), rungs, due))
    return rows, LANE * (len(rows) + 1.5)
