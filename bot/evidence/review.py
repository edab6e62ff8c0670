"""The post-incident review, built from the ledger entries and nothing else.

A pure function of the entries it covers, so anyone holding a bundle can build
it again and compare: ``blastwall evidence verify`` does, byte for byte, and a
review that says something the entries do not fails verification. No clock is
read here; every time in the review is a time an entry recorded.

``FORMAT`` names this layout. A change to what the review says (or how
``bot.evidence.review_render`` prints it) is a new format, so a bundle made
before the change is never judged by a layout it was not written in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.evidence import What
from bot.evidence.entry_fields import Entry, field, seq, text, what, when, who
from bot.evidence.review_actions import (
    ActionRun,
    IdentityReview,
    action_runs,
    identity_reviews,
    unsafe_undos,
)
from bot.evidence.review_people import (
    CommandChange,
    Escalation,
    command_changes,
    escalations,
)
from bot.evidence.review_sources import (
    Activity,
    Collection,
    FrameworkTally,
    Transcript,
    activities,
    collections,
    framework_tallies,
    transcript,
)

FORMAT = "blastwall-review/1"
FINISHED = ("resolved", "closed")


@dataclass(frozen=True)
class Moment:
    seq: int
    when: str


@dataclass(frozen=True)
class Timeline:
    declared: Moment | None
    acknowledged: Moment | None
    first_containment: Moment | None
    contained: Moment | None
    resolved: Moment | None
    closed: Moment | None
    tta_seconds: int | None  # declared -> commander acknowledged
    ttc_seconds: int | None  # declared -> contained


@dataclass(frozen=True)
class FollowUp:
    seq: int
    text: str


@dataclass(frozen=True)
class Review:
    format: str
    incident: str
    title: str
    severity: str
    playbook: str
    status: str
    covers: int  # entries 1..covers
    supersedes: int  # seq of the review entry this one replaces, 0 when none
    timeline: Timeline
    identities: tuple[IdentityReview, ...]
    actions: tuple[ActionRun, ...]
    escalations: tuple[Escalation, ...]
    command: tuple[CommandChange, ...]
    follow_ups: tuple[FollowUp, ...]
    frameworks: tuple[FrameworkTally, ...]
    activity: tuple[Activity, ...]
    collections: tuple[Collection, ...]
    transcript: Transcript

    def as_record(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def build_review(incident_id: str, entries: Sequence[Entry]) -> Review:
    """The review of ``entries`` (the ledger from its first entry up to the status change
    the review is written for)."""
    runs = action_runs(entries)
    identities = identity_reviews(entries, runs)
    declared = _first(entries, What.INCIDENT_DECLARED)
    return Review(
        format=FORMAT,
        incident=incident_id,
        title=text(declared, "after", "title"),
        severity=_severity(entries),
        playbook=text(declared, "after", "playbook"),
        status=_status(entries),
        covers=len(entries),
        supersedes=max((seq(e) for e in entries if what(e) == What.REVIEW_WRITTEN), default=0),
        timeline=timeline(entries),
        identities=tuple(identities),
        actions=tuple(runs),
        escalations=tuple(escalations(entries)),
        command=tuple(command_changes(entries)),
        follow_ups=tuple(follow_ups(entries, identities, runs)),
        frameworks=tuple(framework_tallies(entries)),
        activity=tuple(activities(entries)),
        collections=tuple(collections(entries)),
        transcript=transcript(entries),
    )


def _first(entries: Sequence[Entry], kind: What) -> Entry:
    return next((e for e in entries if what(e) == kind), {})


def _status(entries: Sequence[Entry]) -> str:
    changes = [e for e in entries if what(e) == What.STATUS_CHANGED]
    return text(changes[-1], "after", "status") if changes else "declared"


def _severity(entries: Sequence[Entry]) -> str:
    graded = [e for e in entries if what(e) in (What.SEVERITY_RAISED, What.SEVERITY_CHANGED)] or [
        _first(entries, What.INCIDENT_DECLARED)
    ]
    return text(graded[-1], "after", "severity")


def timeline(entries: Sequence[Entry]) -> Timeline:
    declared = _moment(_first(entries, What.INCIDENT_DECLARED))
    acknowledged = _moment(next((e for e in entries if _acknowledges(e)), {}))
    contained = _moment(_status_entry(entries, "contained"))
    return Timeline(
        declared=declared,
        acknowledged=acknowledged,
        first_containment=_moment(next((e for e in entries if _contains(e)), {})),
        contained=contained,
        resolved=_moment(_status_entry(entries, "resolved")),
        closed=_moment(_status_entry(entries, "closed")),
        tta_seconds=_between(entries, declared, acknowledged),
        ttc_seconds=_between(entries, declared, contained),
    )


def _moment(entry: Entry) -> Moment | None:
    return Moment(seq(entry), text(entry, "when")) if entry else None


def _acknowledges(entry: Entry) -> bool:
    """Command is acknowledged by the ack itself, by accepting a handoff, or at once
    when the playbook names the person who declared."""
    kind = what(entry)
    if kind in (What.COMMAND_ACKNOWLEDGED, What.COMMANDER_HANDED_OVER):
        return True
    return kind == What.COMMANDER_ASSIGNED and text(entry, "after", "commander") == who(entry)


def _contains(entry: Entry) -> bool:
    kind = what(entry)
    if kind == What.ACTION_RECONCILED:
        return text(entry, "details", "status") == "succeeded"
    return kind == What.ACTION_SUCCEEDED


def _status_entry(entries: Sequence[Entry], status: str) -> Entry:
    return next(
        (
            e
            for e in entries
            if what(e) == What.STATUS_CHANGED and text(e, "after", "status") == status
        ),
        {},
    )


def _between(entries: Sequence[Entry], start: Moment | None, end: Moment | None) -> int | None:
    if start is None or end is None:
        return None
    at = {seq(e): when(e) for e in entries}
    began, ended = at.get(start.seq), at.get(end.seq)
    if began is None or ended is None:
        return None
    return int((ended - began).total_seconds())


def follow_ups(
    entries: Sequence[Entry], identities: Sequence[IdentityReview], runs: Sequence[ActionRun]
) -> list[FollowUp]:
    """What the commander still has to see to, each citing the entry it rests on."""
    found = [
        FollowUp(
            i.held_since,
            f"{i.key} is contained but not rotated: rotate its credential, then restore it",
        )
        for i in identities
        if i.unrotated
    ]
    found += [
        FollowUp(i.added_seq, f"{i.key} was never contained: confirm it needs nothing")
        for i in identities
        if i.state == "not contained"
    ]
    found += [
        FollowUp(r.seq, f"undo of {r.action} on {r.target} was refused as unsafe: {r.summary}")
        for r in unsafe_undos(runs)
    ]
    found += _pending_vendor_steps(entries) + _pending_approvals(entries)
    found += _collection_gaps(entries) + _guided_tasks(entries)
    return sorted(found, key=lambda f: (f.seq, f.text))


def _guided_tasks(entries: Sequence[Entry]) -> list[FollowUp]:
    """Work no API can do, which a succeeded action left to a person (a GitHub App
    key is rotated by hand): its entry carries the task."""
    return [
        FollowUp(seq(e), text(e, "details", "follow_up"))
        for e in entries
        if what(e) == What.ACTION_SUCCEEDED and text(e, "details", "follow_up")
    ]


def _pending_vendor_steps(entries: Sequence[Entry]) -> list[FollowUp]:
    asked: dict[str, Entry] = {}
    for entry in entries:
        step = text(entry, "after", "step")
        if what(entry) == What.VENDOR_STEP_REQUESTED:
            asked.setdefault(step, entry)
        elif what(entry) == What.VENDOR_STEP_CONFIRMED:
            asked.pop(step, None)
    return [
        FollowUp(
            seq(e),
            f"vendor step {step} was requested of {text(e, 'after', 'vendor')} "
            f"({text(e, 'after', 'contact')}) and is not confirmed done",
        )
        for step, e in asked.items()
    ]


def _pending_approvals(entries: Sequence[Entry]) -> list[FollowUp]:
    decided = {
        text(e, "details", "request")
        for e in entries
        if what(e) in (What.ACTION_DENIED, What.ACTION_REQUESTED)
    }
    return [
        FollowUp(
            seq(e),
            f"{text(e, 'details', 'action')} on {text(e, 'details', 'target')} still awaits "
            "approval",
        )
        for e in entries
        if what(e) == What.APPROVAL_REQUESTED
        and text(e, "details", "idempotency_key") not in decided
    ]


def _collection_gaps(entries: Sequence[Entry]) -> list[FollowUp]:
    gaps = []
    for entry in entries:
        if what(entry) != What.ACTIVITY_COLLECTED:
            continue
        source, identity = text(entry, "details", "source"), text(entry, "details", "identity")
        if text(entry, "details", "error"):
            reason = f"could not be collected: {text(entry, 'details', 'error')}"
        elif field(entry, "details", "truncated") is True:
            reason = "was truncated: read the rest at the source"
        else:
            continue
        gaps.append(FollowUp(seq(entry), f"activity of {identity} from {source} {reason}"))
    return gaps
