"""Offline verification of an evidence bundle: the zip and a public key, nothing else.

A tamperer can rewrite the manifest too, so the manifest is only the first
line of defence: the hash chain and the signed Merkle roots decide.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.core.merkle import merkle_root
from bot.evidence.bundle import (
    CHECKPOINT_DIR,
    ENTRIES,
    FORMAT,
    MANIFEST,
    PUBLIC_KEY,
    TIMESTAMP_DIR,
)
from bot.evidence.canonical import canonical
from bot.evidence.chain import GENESIS, entry_hash
from bot.evidence.notes import Checkpoint, CheckpointError, verify_checkpoint
from bot.evidence.signing import SigningKeyError, load_public_key
from bot.evidence.timestamps import TimestampError, verify_token


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    entries: int = 0
    checkpoints: int = 0


class Tampered(Exception):
    """The first problem found; its message is the verdict's reason."""


def verify_bundle(
    path: Path,
    public_key: Ed25519PublicKey | None = None,
    tsa_cert: x509.Certificate | None = None,
) -> Verdict:
    try:
        with zipfile.ZipFile(path) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        return Verdict(False, f"{path} is not a readable bundle: {exc}")
    try:
        entries, checkpoints = _verify(files, public_key)
        stamped = _check_timestamps(files, tsa_cert)
    except Tampered as exc:
        return Verdict(False, str(exc))
    return Verdict(True, f"the ledger is intact and signed. {stamped}", entries, checkpoints)


# --- RFC 3161 timestamps (issue 9, section 3) ------------------------------------------


def _check_timestamps(files: dict[str, bytes], trusted: x509.Certificate | None) -> str:
    """Each token must cover its checkpoint note exactly and chain to ``trusted``;
    with no ``--tsa-cert`` the tokens are only counted."""
    tokens = sorted(n for n in files if n.startswith(TIMESTAMP_DIR))
    notes = sorted(n for n in files if n.startswith(CHECKPOINT_DIR))
    if trusted is None:
        return f"{len(tokens)} of {len(notes)} checkpoints carry a timestamp (not checked)."
    if not tokens:
        raise Tampered("--tsa-cert given but no checkpoint carries an RFC 3161 timestamp")
    latest = None
    for name in tokens:
        note = name.replace(TIMESTAMP_DIR, CHECKPOINT_DIR).removesuffix(".tsr") + ".note"
        if note not in files:
            raise Tampered(f"{name} has no checkpoint {note}")
        try:
            latest = verify_token(files[name], files[note], trusted)
        except TimestampError as exc:
            raise Tampered(f"{name} does not timestamp {note}: {exc}") from exc
    return (
        f"{len(tokens)} of {len(notes)} checkpoints timestamped by the TSA, "
        f"the last at {latest:%Y-%m-%d %H:%M:%S} UTC."
    )


def _verify(files: dict[str, bytes], given: Ed25519PublicKey | None) -> tuple[int, int]:
    manifest = _manifest(files)
    _check_files(files, manifest)
    key = given or _bundled_key(files)
    incident = str(manifest["incident"])
    lines = _lines(files[ENTRIES])
    notes = sorted(n for n in files if n.startswith(CHECKPOINT_DIR))
    checkpoints = [_checkpoint(name, files[name], key, incident) for name in notes]
    _check_chain(lines, incident)
    _check_roots(lines, checkpoints, notes)
    return len(lines), len(checkpoints)


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in files:
        raise Tampered("manifest.json is missing")
    try:
        manifest = json.loads(files[MANIFEST])
    except ValueError as exc:
        raise Tampered(f"manifest.json is not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Tampered(f"manifest.json is not a {FORMAT} manifest")
    if not isinstance(manifest.get("files"), dict) or "incident" not in manifest:
        raise Tampered("manifest.json lacks its file list or incident")
    return manifest


def _check_files(files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    listed: dict[str, str] = manifest["files"]
    for name in sorted(set(files) - set(listed) - {MANIFEST}):
        raise Tampered(f"{name} is not in the manifest: a file was added after export")
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise Tampered(f"{name} is missing from the bundle")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise Tampered(
                f"{name} was changed after export: its SHA-256 differs from the manifest"
            )
    if ENTRIES not in listed:
        raise Tampered(f"{ENTRIES} is missing from the bundle")


def _bundled_key(files: dict[str, bytes]) -> Ed25519PublicKey:
    try:
        return load_public_key(files[PUBLIC_KEY])
    except (KeyError, SigningKeyError) as exc:
        raise Tampered(f"{PUBLIC_KEY} is missing or unusable: {exc}") from exc


def _lines(data: bytes) -> list[bytes]:
    if data and not data.endswith(b"\n"):
        raise Tampered(f"{ENTRIES} does not end with a newline: truncated mid-entry")
    lines = data.split(b"\n")[:-1] if data else []
    for number, line in enumerate(lines, start=1):
        if not line:
            raise Tampered(f"{ENTRIES} line {number} is empty")
    return lines


def _checkpoint(name: str, note: bytes, key: Ed25519PublicKey, incident: str) -> Checkpoint:
    try:
        checkpoint = verify_checkpoint(note.decode("utf-8"), key)
    except (CheckpointError, UnicodeDecodeError) as exc:
        raise Tampered(f"{name}: {exc}") from exc
    if checkpoint.incident_id != incident:
        raise Tampered(f"{name} signs {checkpoint.incident_id}, not {incident}")
    return checkpoint


def _check_chain(lines: list[bytes], incident: str) -> None:
    entries = [_entry(number, line) for number, line in enumerate(lines, start=1)]
    seqs = [e.get("seq") for e in entries]
    previous = GENESIS
    for number, entry in enumerate(entries, start=1):
        seq = entry.get("seq")
        if not isinstance(seq, int) or seq != number:
            raise Tampered(_sequence_problem(number, seq, seqs))
        claimed = entry.pop("hash", None)
        if entry_hash(entry) != claimed:
            raise Tampered(f"entry {seq} was changed: its hash does not match its contents")
        if entry.get("prev_hash") != previous:
            raise Tampered(f"entry {seq} does not link to entry {seq - 1}: inserted or reordered")
        if entry.get("incident") != incident:
            raise Tampered(f"entry {seq} belongs to {entry.get('incident')}, not {incident}")
        previous = str(claimed)


def _entry(number: int, line: bytes) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except ValueError as exc:
        raise Tampered(f"{ENTRIES} line {number} is not JSON: changed ({exc})") from exc
    if not isinstance(entry, dict) or canonical(entry) != line:
        raise Tampered(f"{ENTRIES} line {number} is not the canonical form of an entry: changed")
    return entry


def _sequence_problem(position: int, seq: object, seqs: list[object]) -> str:
    if isinstance(seq, int) and position in seqs[position:]:
        return f"entry {seq} appears at position {position}: entries were reordered"
    if isinstance(seq, int) and seq > position:
        return f"entry {position} is missing (found {seq} in its place): an entry was dropped"
    if isinstance(seq, int) and seq < position:
        return f"entry {seq} appears at position {position}: entries were reordered or inserted"
    return f"{ENTRIES} line {position} has no valid sequence number"


def _check_roots(lines: list[bytes], checkpoints: list[Checkpoint], names: list[str]) -> None:
    if not checkpoints:
        raise Tampered("the bundle holds no signed checkpoint")
    for name, checkpoint in zip(names, checkpoints, strict=True):
        if checkpoint.size > len(lines):
            raise Tampered(
                f"{name} signs {checkpoint.size} entries but the bundle holds {len(lines)}: "
                "the ledger was truncated"
            )
        if merkle_root(lines[: checkpoint.size]) != checkpoint.root_hash:
            raise Tampered(
                f"{name}: the first {checkpoint.size} entries do not match the signed root: "
                "history was rewritten"
            )
    if checkpoints[-1].size != len(lines):
        raise Tampered(
            f"entries {checkpoints[-1].size + 1}..{len(lines)} are not covered by any "
            "signed checkpoint: they were added after signing"
        )
