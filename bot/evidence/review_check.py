"""The post-incident review in a bundle: what goes in, and whether it says what its
entries say.

The review is rebuilt from the entries it covers and compared byte for byte
with ``review.md`` and ``review.html``; the SHA-256 of each, as the ledger's
review entry recorded them when the review was written, must match the
rebuilt files too. So neither a review edited after export nor a review entry
that never described these entries passes.

An incident is reviewed when it is resolved and again when it is closed: the
later review supersedes the earlier one (it says so) and covers every entry up
to the close. The bundle carries the latest review's files; every review
entry's recorded hashes are checked against a rebuild of the entries it
covers. A bundle of an open incident holds no review, and needs none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.evidence import What
from bot.evidence.entry_fields import field, mapping, parse_entries, seq, text, what
from bot.evidence.review import FORMAT, build_review
from bot.evidence.review_render import REVIEW_HTML, REVIEW_MD, digests, review_files

MAX_REVIEWS = 16  # an incident is reviewed at resolve and at close: a few at most


class ReviewMismatch(Exception):
    """The review files or a review entry disagree with the ledger; the message says how."""


def check_review(incident: str, files: Mapping[str, bytes], lines: Sequence[bytes]) -> str:
    """What was checked (a line for the verdict), or ReviewMismatch."""
    entries = parse_entries(lines)
    written = [e for e in entries if what(e) == What.REVIEW_WRITTEN]
    present = [n for n in (REVIEW_MD, REVIEW_HTML) if n in files]
    if not written:
        if present:
            raise ReviewMismatch(
                f"{present[0]} is in the bundle but no entry records a post-incident review"
            )
        return "no post-incident review yet (the incident is not resolved)"
    if len(written) > MAX_REVIEWS:
        raise ReviewMismatch(f"the ledger records {len(written)} reviews: not one Blastwall wrote")
    rebuilt = [_rebuilt(incident, entry, entries) for entry in written]
    latest = written[-1]
    _compare(latest, rebuilt[-1], files)
    for entry, made in zip(written, rebuilt, strict=True):
        if mapping(field(entry, "details", "files")) != digests(made):
            raise ReviewMismatch(
                f"entry {seq(entry)} records review hashes that do not match the review "
                f"rebuilt from entries 1-{_covers(entry)}: the review entry was not written "
                "from these entries"
            )
    return (
        f"post-incident review (entry {seq(latest)}) rebuilt from entries "
        f"1-{_covers(latest)}: {REVIEW_MD} and {REVIEW_HTML} match"
    )


def _compare(latest: Mapping[str, Any], made: dict[str, bytes], files: Mapping[str, bytes]) -> None:
    for name, data in made.items():
        if name not in files:
            raise ReviewMismatch(
                f"entry {seq(latest)} records a post-incident review but {name} is missing"
            )
        if files[name] != data:
            raise ReviewMismatch(
                f"{name} does not say what entries 1-{_covers(latest)} say: the review was changed"
            )


def review_for_bundle(incident: str, lines: Sequence[bytes]) -> dict[str, bytes]:
    """The latest review's files, rebuilt from the entries it covers (none while the
    incident has no review among these entries)."""
    entries = parse_entries(lines)
    written = [e for e in entries if what(e) == What.REVIEW_WRITTEN]
    return _rebuilt(incident, written[-1], entries) if written else {}


def _covers(entry: Mapping[str, Any]) -> int:
    last = field(entry, "details", "covers", "last")
    return last if type(last) is int else 0


def _rebuilt(
    incident: str, entry: Mapping[str, Any], entries: list[dict[str, Any]]
) -> dict[str, bytes]:
    number = seq(entry)
    recorded = text(entry, "details", "format")
    if recorded != FORMAT:
        raise ReviewMismatch(
            f"entry {number} records a review in format {recorded[:80]!r}; this verifier "
            f"rebuilds {FORMAT}: use the Blastwall version that wrote it"
        )
    last = _covers(entry)
    if not 1 <= last < number:
        raise ReviewMismatch(f"entry {number} does not say which earlier entries its review covers")
    return review_files(build_review(incident, entries[:last]))
