"""Checking a bundle against what the auditor holds from outside it.

A bundle alone cannot show it is the whole story: someone with the database
and the key can truncate the ledger, or rewrite it and sign it again, and the
result is internally perfect. What catches that is evidence they do not hold:
an earlier checkpoint the auditor kept (``--prior``), witness cosignatures
(``--witness-key``) and the checkpoint lines posted in chat (``--witness-log``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.evidence.archive import Refused
from bot.evidence.contents import Bundle, Tampered, open_bundle
from bot.evidence.notes import Checkpoint, CheckpointError, Note, parse_note, read_unverified
from bot.evidence.notes import verify_checkpoint as verify_note
from bot.evidence.witnesses import Cosignature, WitnessError, WitnessKey, cosigners, witnessed

MAX_NOTE = 64 * 1024


def check_prior(bundle: Bundle, prior: Path, trusted: Ed25519PublicKey | None) -> str:
    """Refuse unless this bundle's ledger extends the prior checkpoint; say what was checked.

    The bundle's entries, already checked against its latest signed root, give the
    root of their first ``old.size``: it must be the prior's. That is what a
    consistency proof between the two would establish, taken from the entries
    themselves (the tree of the verifying pass answers it in O(log n))."""
    old = _prior_checkpoint(prior, trusted)
    new = bundle.latest
    if old.origin != new.origin:
        raise Tampered(
            f"the prior checkpoint is of {old.origin[:200]}, this bundle of {new.origin}: "
            "not the same ledger"
        )
    if old.size > new.size:
        raise Tampered(
            f"the prior checkpoint signed {old.size} entries, this bundle holds {new.size}: "
            "the ledger was truncated"
        )
    if bundle.tree.root(old.size) != old.root_hash:
        raise Tampered(
            f"the first {old.size} entries differ from the prior checkpoint's: "
            "history was rewritten or forked since"
        )
    return f"extends the prior checkpoint ({old.size} entries) with {new.size - old.size} more"


def _prior_checkpoint(prior: Path, trusted: Ed25519PublicKey | None) -> Checkpoint:
    if zipfile.is_zipfile(prior):
        try:
            return open_bundle(prior, trusted).latest
        except Refused as exc:
            raise Tampered(f"the prior bundle {prior.name} does not verify: {exc}") from exc
    try:
        with prior.open("rb") as source:
            data = source.read(MAX_NOTE + 1)
        if len(data) > MAX_NOTE:
            raise Tampered(f"the prior {prior.name} is larger than a checkpoint note")
        note = data.decode("utf-8")
        return verify_note(note, trusted) if trusted else read_unverified(note)
    except (OSError, UnicodeDecodeError) as exc:
        raise Tampered(f"the prior {prior.name} is unreadable: {exc}") from exc
    except CheckpointError as exc:
        raise Tampered(f"the prior {prior.name} is not a usable checkpoint: {exc}") from exc


def check_cosignatures(bundle: Bundle, witnesses: Sequence[WitnessKey]) -> list[str]:
    """Which witnesses cosigned which checkpoints; a given witness that cosigned none is refused."""
    notes = []
    for number, text in enumerate(bundle.notes, start=1):
        try:
            notes.append(parse_note(text))
        except CheckpointError as exc:
            raise Tampered(f"checkpoint {number}: {exc}") from exc
    report = []
    for witness in witnesses:
        marks: list[tuple[int, Cosignature]] = []
        for number, note in enumerate(notes, start=1):
            try:
                marks += [(number, c) for c in cosigners(note, [witness])]
            except WitnessError as exc:
                raise Tampered(f"checkpoint {number}: {exc}") from exc
        if not marks:
            raise Tampered(f"{witness.label()} cosigned no checkpoint in this bundle")
        report.append(_cosigned(marks, bundle))
    return report + _unchecked(notes[-1], bundle.latest.origin, report)


def _unchecked(note: Note, origin: str, checked: list[str]) -> list[str]:
    """Other signatures on the latest checkpoint, named so nobody mistakes them for checked."""
    names = sorted({s.name for s in note.signatures if s.name != origin})
    names = [n for n in names if not any(line.startswith(f"witness {n} ") for line in checked)]
    if not names:
        return []
    return [f"also signed by {', '.join(names)} (not checked: no --witness-key for them)"]


def _cosigned(marks: list[tuple[int, Cosignature]], bundle: Bundle) -> str:
    number, last = marks[-1]
    name = last.name
    size = bundle.checkpoints[number - 1].size
    return (
        f"witness {name} cosigned {len(marks)} of {len(bundle.notes)} checkpoints, "
        f"the latest at {size} entries (time {last.timestamp})"
    )


def check_witness_log(bundle: Bundle, log: str) -> str:
    """Every triple posted in chat for this origin must be a prefix of this bundle's ledger."""
    seen = witnessed(log, bundle.latest.origin)
    if not seen:
        raise Tampered(f"the witness log holds no checkpoint of {bundle.latest.origin}")
    for mark in seen:
        if mark.size > len(bundle.lines):
            raise Tampered(
                f"witness log line {mark.line} saw {mark.size} entries, this bundle holds "
                f"{len(bundle.lines)}: the ledger was truncated"
            )
        if bundle.tree.root(mark.size) != mark.root_hash:
            raise Tampered(
                f"witness log line {mark.line} saw another root for the first {mark.size} "
                "entries: history was rewritten"
            )
    return f"agrees with {len(seen)} checkpoint lines of the witness log"
