"""Writing the post-incident review into the ledger when an incident is resolved or closed.

The review is built from the ledger entries up to the status change, in the
same transaction, and recorded as a ``post-incident review written`` entry
holding the SHA-256 of ``review.md`` and ``review.html``, the entries it
covers and its follow-ups. The files themselves are not stored: the export
rebuilds them from the entries (``bot.evidence.review_check``), and the
verifier rebuilds them again and compares, so a review can never drift from
the ledger it describes.

Resolving writes the first review; closing writes another that covers the
whole ledger and supersedes it (the lifecycle allows nothing in between that
would need a third).
"""

from __future__ import annotations

from bot.core.actors import SYSTEM
from bot.core.events import ReviewWritten
from bot.core.evidence import EvidenceRecord, What
from bot.core.ports import IncidentStore
from bot.evidence.entry_fields import parse_entries
from bot.evidence.review import build_review
from bot.evidence.review_render import digests, review_files
from bot.service.context import Services


async def write_review(store: IncidentStore, incident_id: str, svc: Services) -> ReviewWritten:
    lines = list(await store.evidence_lines(incident_id))
    review = build_review(incident_id, parse_entries(lines))
    follow_ups = tuple(f"{f.text} (entry {f.seq})" for f in review.follow_ups)
    number = await store.append_evidence(
        EvidenceRecord(
            incident_id=incident_id,
            what=What.REVIEW_WRITTEN,
            actor=SYSTEM,
            at=svc.clock.now(),
            why=f"the incident was {review.status} (entry {review.covers})",
            outcome=f"{len(follow_ups)} follow-up(s)",
            details={
                "format": review.format,
                "covers": {"first": 1, "last": review.covers},
                "supersedes": review.supersedes or None,
                "files": digests(review_files(review)),
                "tta_seconds": review.timeline.tta_seconds,
                "ttc_seconds": review.timeline.ttc_seconds,
                "follow_ups": list(follow_ups),
            },
        )
    )
    return ReviewWritten(incident_id, number, review.status, follow_ups)
