"""The evidence bundle: one zip an auditor can carry away and verify offline.

``entries.jsonl`` (one canonical JSON entry per line), ``checkpoints/NNNNNN.note``
(signed notes, oldest first), ``public_key.pem``, ``report.md`` and
``manifest.json`` (every other file's SHA-256), and ``timestamps/NNNNNN.tsr``:
the RFC 3161 token of checkpoint NNNNNN, where the TSA gave one. Written deterministically, so
the same ledger always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.evidence.canonical import canonical
from bot.evidence.notes import CheckpointError, read_unverified

FORMAT = "blastwall-evidence/1"
ENTRIES = "entries.jsonl"
MANIFEST = "manifest.json"
PUBLIC_KEY = "public_key.pem"
REPORT = "report.md"
CHECKPOINT_DIR = "checkpoints/"
TIMESTAMP_DIR = "timestamps/"  # RFC 3161 responses, named after their checkpoint
_EPOCH = (1980, 1, 1, 0, 0, 0)


def checkpoint_name(index: int) -> str:
    return f"{CHECKPOINT_DIR}{index:06d}.note"


def timestamp_name(index: int) -> str:
    return f"{TIMESTAMP_DIR}{index:06d}.tsr"


def write_bundle(
    dest: Path,
    incident_id: str,
    lines: Sequence[bytes],
    checkpoints: Sequence[str],
    public_key_pem: bytes,
    report: str,
    timestamps: Mapping[int, bytes] | None = None,
) -> None:
    _require_covered(lines, checkpoints)
    files: dict[str, bytes] = {
        ENTRIES: b"".join(line + b"\n" for line in lines),
        PUBLIC_KEY: public_key_pem,
        REPORT: report.encode("utf-8"),
    }
    for index, note in enumerate(checkpoints, start=1):
        files[checkpoint_name(index)] = note.encode("utf-8")
    for index, token in sorted((timestamps or {}).items()):
        files[timestamp_name(index)] = token
    manifest = {
        "format": FORMAT,
        "incident": incident_id,
        "entries": len(lines),
        "checkpoints": len(checkpoints),
        "timestamps": len(timestamps or {}),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    files[MANIFEST] = canonical(manifest)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=_EPOCH), files[name])


def _require_covered(lines: Sequence[bytes], checkpoints: Sequence[str]) -> None:
    if not checkpoints:
        raise ValueError("a bundle needs at least one signed checkpoint")
    try:
        size = read_unverified(checkpoints[-1]).size
    except CheckpointError as exc:
        raise ValueError(f"the last checkpoint is unreadable: {exc}") from exc
    if size != len(lines):
        raise ValueError(
            f"the last checkpoint covers {size} of {len(lines)} entries: sign a fresh one first"
        )
