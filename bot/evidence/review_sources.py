"""What the review cites besides the response itself: the framework references the
steps were mapped to, the identity activity collected from the systems, and the
incident channel's transcript, each by sequence number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.evidence import What
from bot.evidence.entry_fields import Entry, field, mapping, seq, text, texts, what, who

FRAMEWORK_NAMES = {
    "nist_csf": "NIST CSF 2.0",
    "owasp_agentic": "OWASP Agentic (ASI)",
    "maestro_layer": "CSA MAESTRO",
    "nist_ai_rmf": "NIST AI RMF",
}
TRANSCRIPT = {
    What.CHANNEL_MESSAGE.value: "messages",
    What.CHANNEL_MESSAGE_EDITED.value: "edits",
    What.CHANNEL_MESSAGE_DELETED.value: "deletions",
}


@dataclass(frozen=True)
class RefCount:
    ref: str
    entries: int
    first_seq: int


@dataclass(frozen=True)
class FrameworkTally:
    framework: str  # the key entries carry: nist_csf, owasp_agentic, maestro_layer, nist_ai_rmf
    name: str
    refs: tuple[RefCount, ...]


@dataclass(frozen=True)
class Activity:
    seq: int
    identity: str
    source: str
    event_id: str
    event: str
    at: str
    actor: str


@dataclass(frozen=True)
class Collection:
    seq: int
    identity: str
    source: str
    phase: str
    count: str
    truncated: bool
    error: str


@dataclass(frozen=True)
class Transcript:
    messages: int
    edits: int
    deletions: int
    participants: tuple[str, ...]
    seqs: str  # compact ranges, e.g. "12-15, 18"


def framework_tallies(entries: Sequence[Entry]) -> list[FrameworkTally]:
    """Per framework, each reference and how many entries carry it."""
    tallies = []
    for key, name in FRAMEWORK_NAMES.items():
        counted: dict[str, RefCount] = {}
        for entry in entries:
            for ref in texts(mapping(field(entry, "details", "frameworks")), key):
                had = counted.get(ref)
                first = had.first_seq if had else seq(entry)
                counted[ref] = RefCount(ref, (had.entries if had else 0) + 1, first)
        tallies.append(FrameworkTally(key, name, tuple(counted[r] for r in sorted(counted))))
    return tallies


def activities(entries: Sequence[Entry]) -> list[Activity]:
    return [
        Activity(
            seq=seq(e),
            identity=text(e, "details", "identity") or text(e, "details", "query"),
            source=text(e, "details", "source"),
            event_id=text(e, "details", "event", "id"),
            event=text(e, "details", "event", "name"),
            at=text(e, "details", "event", "at"),
            actor=text(e, "details", "event", "actor"),
        )
        for e in entries
        if what(e) == What.IDENTITY_ACTIVITY
    ]


def collections(entries: Sequence[Entry]) -> list[Collection]:
    return [
        Collection(
            seq=seq(e),
            identity=text(e, "details", "identity"),
            source=text(e, "details", "source"),
            phase=text(e, "details", "phase"),
            count=text(e, "details", "count"),
            truncated=field(e, "details", "truncated") is True,
            error=text(e, "details", "error"),
        )
        for e in entries
        if what(e) == What.ACTIVITY_COLLECTED
    ]


def transcript(entries: Sequence[Entry]) -> Transcript:
    """The channel's messages summed up: how many, who spoke, where they are."""
    said = [e for e in entries if what(e) in TRANSCRIPT]
    counts = {name: 0 for name in TRANSCRIPT.values()}
    for entry in said:
        counts[TRANSCRIPT[what(entry)]] += 1
    return Transcript(
        messages=counts["messages"],
        edits=counts["edits"],
        deletions=counts["deletions"],
        participants=tuple(sorted({who(e) for e in said if who(e)})),
        seqs=ranges([seq(e) for e in said]),
    )


def ranges(numbers: Sequence[int]) -> str:
    """``[3, 4, 5, 9]`` as ``3-5, 9``."""
    spans: list[list[int]] = []
    for n in sorted(set(numbers)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)
