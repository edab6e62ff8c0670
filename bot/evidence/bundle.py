"""The evidence bundle: one zip an auditor can carry away and verify offline.

``entries.jsonl`` (one canonical JSON entry per line), ``checkpoints/NNNNNN.note``
(signed notes, oldest first, numbered from 1 without gaps),
``proofs/NNNNNN.consistency`` (the RFC 6962 consistency proof from checkpoint
NNNNNN-1 to checkpoint NNNNNN), ``public_key.pem``, ``report.md``, once the
incident is resolved ``review.md`` and ``review.html`` (the post-incident
review, ``bot.evidence.review``), and ``manifest.json`` (the counts and every
other file's SHA-256). Written
deterministically, so the same ledger always gives the same bytes.

A consistency file is ``old <size>`` followed by one base64 hash per line: the
layout of the proof in a C2SP ``tlog-witness`` add-checkpoint request, without
the checkpoint itself (that is the note with the same number).
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.core.merkle import HASH_SIZE, MAX_PROOF, MerkleTree, leaf_hash
from bot.evidence.canonical import canonical
from bot.evidence.notes import CheckpointError, read_unverified

FORMAT = "blastwall-evidence/2"
ENTRIES = "entries.jsonl"
MANIFEST = "manifest.json"
PUBLIC_KEY = "public_key.pem"
REPORT = "report.md"
CHECKPOINT_DIR = "checkpoints/"
PROOF_DIR = "proofs/"
TIMESTAMP_DIR = "timestamps/"
MEMBER = re.compile(
    r"manifest\.json|entries\.jsonl|public_key\.pem|report\.md|review\.md|review\.html"
    r"|checkpoints/[0-9]{6}\.note|proofs/[0-9]{6}\.consistency|timestamps/[0-9]{6}\.tsr"
)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def checkpoint_name(index: int) -> str:
    return f"{CHECKPOINT_DIR}{index:06d}.note"


def proof_name(index: int) -> str:
    return f"{PROOF_DIR}{index:06d}.consistency"


def expected_member(name: str) -> bool:
    return MEMBER.fullmatch(name) is not None


def write_bundle(
    dest: Path,
    incident_id: str,
    lines: Sequence[bytes],
    checkpoints: Sequence[str],
    public_key_pem: bytes,
    report: str,
    *,
    extra_files: Mapping[str, bytes] | None = None,
    extra_manifest: Mapping[str, object] | None = None,
) -> None:
    """``extra_files`` (e.g. ``timestamps/NNNNNN.tsr``) are hashed into the manifest too."""
    sizes = _require_covered(lines, checkpoints)
    files: dict[str, bytes] = {
        ENTRIES: b"".join(line + b"\n" for line in lines),
        PUBLIC_KEY: public_key_pem,
        REPORT: report.encode("utf-8"),
        **(extra_files or {}),
    }
    for index, note in enumerate(checkpoints, start=1):
        files[checkpoint_name(index)] = note.encode("utf-8")
    tree = MerkleTree(leaf_hash(line) for line in lines)  # one pass; each proof O(log n)
    for index in range(2, len(checkpoints) + 1):
        old, new = sizes[index - 2], sizes[index - 1]
        files[proof_name(index)] = format_consistency(old, tree.consistency_proof(old, new))
    manifest = {
        **(extra_manifest or {}),
        "format": FORMAT,
        "incident": incident_id,
        "entries": len(lines),
        "checkpoints": len(checkpoints),
        "proofs": max(len(checkpoints) - 1, 0),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    files[MANIFEST] = canonical(manifest)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=_EPOCH), files[name])


def format_consistency(old_size: int, proof: Sequence[bytes]) -> bytes:
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n").encode()


def parse_consistency(data: bytes) -> tuple[int, list[bytes]]:
    """``(old size, hashes)``; ValueError (bad base64 and bad text included) otherwise."""
    lines = data.decode("ascii").split("\n")
    if lines[-1] != "" or not re.fullmatch(r"old (0|[1-9][0-9]{0,18})", lines[0]):
        raise ValueError("expected 'old <size>' then one hash per line")
    hashes = [base64.b64decode(line, validate=True) for line in lines[1:-1]]
    if len(hashes) > MAX_PROOF or any(len(h) != HASH_SIZE for h in hashes):
        raise ValueError("a proof hash is not a SHA-256 hash")
    return int(lines[0][4:]), hashes


def _require_covered(lines: Sequence[bytes], checkpoints: Sequence[str]) -> list[int]:
    if not checkpoints:
        raise ValueError("a bundle needs at least one signed checkpoint")
    try:
        sizes = [read_unverified(note).size for note in checkpoints]
    except CheckpointError as exc:
        raise ValueError(f"a checkpoint is unreadable: {exc}") from exc
    if sizes[-1] != len(lines):
        raise ValueError(
            f"the last checkpoint covers {sizes[-1]} of {len(lines)} entries: "
            "sign a fresh one first"
        )
    if sizes != sorted(sizes):
        raise ValueError("checkpoints must be in the order they were signed")
    return sizes
