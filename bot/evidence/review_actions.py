"""What was done to each identity, by whom, under which right, approved by whom.

Read from the ledger alone: the request entries say what each idempotency key
was (action, target, right, reversibility), the outcome entries what came of
it, the approval entries who agreed. An identity's state follows from the
outcomes on it: a reversible containment that still holds (contained), an
irreversible one (rotated: the leaked credential was deleted or revoked for
good), or containment undone (restored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.evidence import What
from bot.evidence.entry_fields import Entry, field, mapping, seq, text, texts, what, who

RESULTS = {
    What.ACTION_SUCCEEDED: "succeeded",
    What.ACTION_FAILED: "failed",
    What.ACTION_DENIED: "denied",
    What.ACTION_RECONCILED: "reconciled",
    What.ACTION_UNDONE: "undone",
    What.UNDO_FAILED: "undo failed",
    What.UNDO_REFUSED: "undo refused",
}
UNDOS = frozenset({What.ACTION_UNDONE, What.UNDO_FAILED, What.UNDO_REFUSED})
UNSAFE = frozenset({"unsafe", "irreversible"})


@dataclass(frozen=True)
class ActionRun:
    """One outcome of an action (or of its undo) on one identity."""

    seq: int
    when: str
    action: str
    target: str
    operation: str  # apply | undo
    result: str  # succeeded, failed, denied, reconciled, undone, undo failed, undo refused
    summary: str
    by: str
    right: str
    approvers: tuple[str, ...]
    request: str  # the applied request's key (for an undo: the request it undoes)
    reversibility: str
    error_code: str

    @property
    def contained(self) -> bool:
        return self.operation == "apply" and self.result in ("succeeded", "reconciled: succeeded")


@dataclass(frozen=True)
class IdentityReview:
    key: str
    system: str
    kind: str
    external_id: str
    owner: str
    workload: str
    issuer: str
    vendor_managed: bool
    shared_with_humans: bool
    added_seq: int
    runs: tuple[ActionRun, ...]
    state: str  # contained, rotated, restored (comma-joined), or "not contained"
    held_since: int  # seq of the containment still holding, 0 when none

    @property
    def unrotated(self) -> bool:
        return "contained" in self.state.split(", ") and "rotated" not in self.state


@dataclass(frozen=True)
class _Request:
    action: str
    target: str
    right: str
    reversibility: str


def action_runs(entries: Sequence[Entry]) -> list[ActionRun]:
    requests = _requests(entries)
    granted = {
        text(e, "details", "approval"): who(e) for e in entries if _is(e, What.APPROVAL_GRANTED)
    }
    denied: dict[str, list[str]] = {}
    for e in entries:
        if _is(e, What.APPROVAL_DENIED):
            denied.setdefault(text(e, "details", "request"), []).append(who(e))
    runs = []
    for entry in entries:
        kind = what(entry)
        if kind in RESULTS:
            runs.append(_run(entry, What(kind), requests, granted, denied))
    return runs


def _is(entry: Entry, kind: What) -> bool:
    return what(entry) == kind.value


def _requests(entries: Sequence[Entry]) -> dict[str, _Request]:
    found: dict[str, _Request] = {}
    for e in entries:
        key = text(e, "details", "idempotency_key")
        if key and what(e) in (What.ACTION_REQUESTED, What.APPROVAL_REQUESTED):
            found.setdefault(
                key,
                _Request(
                    text(e, "details", "action"),
                    text(e, "details", "target"),
                    text(e, "right"),
                    text(e, "details", "reversibility"),
                ),
            )
    return found


def _run(
    entry: Entry,
    kind: What,
    requests: dict[str, _Request],
    granted: dict[str, str],
    denied: dict[str, list[str]],
) -> ActionRun:
    undo = kind in UNDOS
    key = text(entry, "details", "undo_of" if undo else "idempotency_key") or text(
        entry, "details", "request"
    )
    known = requests.get(key, _Request("", "", "", ""))
    result, by, summary = _said(entry, kind, denied.get(key, []))
    approvals = texts(entry, "details", "approvals")
    return ActionRun(
        seq=seq(entry),
        when=text(entry, "when"),
        action=text(entry, "details", "action") or known.action,
        target=text(entry, "details", "target") or known.target,
        operation="undo" if undo else "apply",
        result=result,
        summary=summary,
        by=by,
        right=text(entry, "right") or known.right,
        approvers=tuple(granted.get(a) or a.rpartition("/")[2] for a in approvals),
        request=key,
        reversibility=text(entry, "details", "reversibility") or known.reversibility,
        error_code=text(entry, "details", "error_code"),
    )


def _said(entry: Entry, kind: What, deciders: list[str]) -> tuple[str, str, str]:
    """The result, who it is on, and its summary: a reconciled outcome is the
    requester's, a denial is summed up with whoever denied it."""
    if kind is What.ACTION_RECONCILED:
        result = f"reconciled: {text(entry, 'details', 'status') or 'unknown'}"
        return result, text(entry, "details", "requested_by") or who(entry), text(entry, "outcome")
    if kind is What.ACTION_DENIED:
        by = ", ".join(deciders) or "the approval deadline"
        return RESULTS[kind], who(entry), f"denied by {by}: {text(entry, 'why')}"
    return RESULTS[kind], who(entry), text(entry, "outcome")


def identity_reviews(entries: Sequence[Entry], runs: Sequence[ActionRun]) -> list[IdentityReview]:
    """Every identity the incident covered, in the order it joined."""
    found: dict[str, tuple[int, dict[str, object]]] = {}
    for entry in entries:
        for record in _identity_records(entry):
            key = ":".join(str(record.get(k, "")) for k in ("system", "kind", "external_id"))
            found.setdefault(key, (seq(entry), record))
    return [
        _identity(key, added, record, [r for r in runs if r.target == key])
        for key, (added, record) in found.items()
    ]


def _identity_records(entry: Entry) -> list[dict[str, object]]:
    kind = what(entry)
    if kind == What.INCIDENT_DECLARED:
        listed = field(entry, "after", "identities")
        return [dict(mapping(i)) for i in listed] if isinstance(listed, list) else []
    added = kind == What.IDENTITY_ADDED or (
        kind == What.ALERT_COALESCED and field(entry, "after", "added") is True
    )
    identity = mapping(field(entry, "after", "identity"))
    return [dict(identity)] if added and identity else []


def _identity(
    key: str, added: int, record: dict[str, object], runs: list[ActionRun]
) -> IdentityReview:
    holding: dict[str, int] = {}
    rotated = undone = False
    for run in runs:
        if run.contained and run.reversibility == "irreversible":
            rotated = True
        elif run.contained:
            holding[run.request] = run.seq
        elif run.operation == "undo" and run.result == "undone":
            undone = holding.pop(run.request, None) is not None or undone
    restored = undone and not holding
    states = [
        name
        for name, on in (("contained", bool(holding)), ("rotated", rotated), ("restored", restored))
        if on
    ]
    return IdentityReview(
        key=key,
        system=text(record, "system"),
        kind=text(record, "kind"),
        external_id=text(record, "external_id"),
        owner=text(record, "owner"),
        workload=text(record, "workload"),
        issuer=text(record, "issuing_system"),
        vendor_managed=record.get("vendor_managed") is True,
        shared_with_humans=record.get("shared_with_humans") is True,
        added_seq=added,
        runs=tuple(runs),
        state=", ".join(states) or "not contained",
        held_since=min(holding.values(), default=0),
    )


def unsafe_undos(runs: Sequence[ActionRun]) -> list[ActionRun]:
    """Undos refused as unsafe whose containment was not undone later after all."""
    undone = {r.request: r.seq for r in runs if r.operation == "undo" and r.result == "undone"}
    return [
        r
        for r in runs
        if r.result == "undo refused"
        and r.error_code in UNSAFE
        and undone.get(r.request, 0) < r.seq
    ]
