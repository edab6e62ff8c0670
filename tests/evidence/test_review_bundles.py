"""Bundles whose post-incident review was forged, dropped or never written, signed with
the real key so only the review check can catch them; and hostile entries the
review must read without failing the verifier any other way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.evidence.bundle import write_bundle
from bot.evidence.chain import GENESIS, seal
from bot.evidence.entry_fields import parse_entries
from bot.evidence.report import render_report
from bot.evidence.review import FORMAT, build_review
from bot.evidence.review_render import digests, render_html, render_markdown, review_files
from bot.evidence.signing import public_key_pem
from tests.evidence.bundles import INCIDENT, KEY, blastwall, members, notes, repack

Capture = pytest.CaptureFixture[str]
DECLARED: dict[str, Any] = {
    "what": "incident declared",
    "when": "2026-11-22T09:00:00.000000Z",
    "who": {"platform": "slack", "user_id": "UIC", "display": ""},
    "after": {
        "title": "Leaked <key>",
        "severity": "SEV2",
        "playbook": "pb",
        "identities": [{"system": "aws", "kind": "access_key", "external_id": "AKIA1"}],
    },
}
RESOLVED: dict[str, Any] = {
    "what": "status changed",
    "when": "2026-11-22T09:30:00.000000Z",
    "who": {"platform": "slack", "user_id": "UIC", "display": ""},
    "after": {"status": "resolved"},
}


def _chain(bodies: list[dict[str, Any]]) -> list[bytes]:
    lines, previous = [], GENESIS
    for number, body in enumerate(bodies, start=1):
        sealed = seal({"incident": INCIDENT, **body}, number, previous)
        lines.append(sealed.line)
        previous = sealed.hash
    return lines


def _review_entry(
    covered: list[bytes], change: Callable[[dict[str, Any]], None] = lambda _: None
) -> dict[str, Any]:
    files = review_files(build_review(INCIDENT, parse_entries(covered)))
    details: dict[str, Any] = {
        "format": FORMAT,
        "covers": {"first": 1, "last": len(covered)},
        "files": digests(files),
    }
    change(details)
    return {"what": "post-incident review written", "when": RESOLVED["when"], "details": details}


def _bundle(path: Path, bodies: list[dict[str, Any]], files: dict[str, bytes]) -> Path:
    lines = _chain(bodies)
    signed = notes(lines, [len(lines)])
    report = render_report(INCIDENT, lines)
    write_bundle(path, INCIDENT, lines, signed, public_key_pem(KEY), report, extra_files=files)
    return path


def _reviewed(path: Path, change: Callable[[dict[str, Any]], None] = lambda _: None) -> Path:
    """A resolved incident's bundle, its review entry altered by ``change`` (and signed)."""
    bodies = [DECLARED, RESOLVED]
    covered = _chain(bodies)
    files = review_files(build_review(INCIDENT, parse_entries(covered)))
    return _bundle(path, [*bodies, _review_entry(covered, change)], files)


def test_a_review_written_from_its_entries_verifies(tmp_path: Path, capsys: Capture) -> None:
    code, out, _ = blastwall(capsys, "evidence", "verify", _reviewed(tmp_path / "b.zip"))
    assert code == 0 and "post-incident review (entry 3) rebuilt from entries 1-2" in out
    html = members(tmp_path / "b.zip")["review.html"].decode()
    assert "Leaked &lt;key&gt;" in html and "<key>" not in html


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(format="blastwall-review/99"), "format 'blastwall-review/99'"),
        (lambda d: d.update(covers={"last": 3}), "does not say which earlier entries"),
        (lambda d: d.update(covers="all"), "does not say which earlier entries"),
        (lambda d: d["files"].update({"review.md": "0" * 64}), "records review hashes"),
    ],
)
def test_a_review_entry_that_does_not_describe_its_entries_fails(
    tmp_path: Path, capsys: Capture, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    code, _, err = blastwall(capsys, "evidence", "verify", _reviewed(tmp_path / "b.zip", change))
    assert code == 1 and "NOT VERIFIED" in err and reason in err


def test_review_files_without_a_review_entry_fail(tmp_path: Path, capsys: Capture) -> None:
    covered = _chain([DECLARED, RESOLVED])
    files = review_files(build_review(INCIDENT, parse_entries(covered)))
    bundle = _bundle(
        tmp_path / "b.zip", [DECLARED, RESOLVED], {"review.html": files["review.html"]}
    )
    code, _, err = blastwall(capsys, "evidence", "verify", bundle)
    assert code == 1 and "no entry records a post-incident review" in err


def test_a_review_rebuilt_from_other_entries_fails(tmp_path: Path, capsys: Capture) -> None:
    bundle = _reviewed(tmp_path / "b.zip")
    files = members(bundle)
    other = _chain([{**DECLARED, "after": {**DECLARED["after"], "title": "Nothing"}}, RESOLVED])
    files["review.md"] = review_files(build_review(INCIDENT, parse_entries(other)))["review.md"]
    code, _, err = blastwall(capsys, "evidence", "verify", repack(files, tmp_path / "x.zip"))
    assert code == 1 and "review.md does not say what entries 1-2 say" in err


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KINDS = st.sampled_from(
    [
        "incident declared",
        "action succeeded",
        "action undone",
        "undo refused",
        "approval granted",
        "escalation timer fired",
        "status changed",
        "identity activity",
        "channel message",
        "identity activity collected",
        "vendor step requested",
        "commander handed over",
    ]
)
BODY = st.fixed_dictionaries(
    {"what": KINDS},
    optional={k: JSON for k in ("who", "when", "after", "before", "details", "outcome", "why")},
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(BODY, min_size=1, max_size=8))
def test_the_review_reads_any_entries_without_failing(bodies: list[dict[str, Any]]) -> None:
    review = build_review(INCIDENT, parse_entries(_chain(bodies)))
    assert review.covers == len(bodies)
    assert render_markdown(review).startswith("# Post-incident review")
    assert render_html(review).startswith("<!DOCTYPE html>")
