"""What a bundle must hold to be intact: checked from the bundle alone.

A tamperer can rewrite the manifest too, so the manifest is only the first
line of defence: the hash chain, the signed Merkle roots and the consistency
proofs decide. Every refusal is a ``Refused`` with its own message; nothing in
a bundle may make the verifier fail any other way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rfc8785 import CanonicalizationError, IntegerDomainError

from bot.core.merkle import MerkleTree, leaf_hash
from bot.evidence.archive import DEFAULT_LIMITS, Limits, Refused, read_members
from bot.evidence.bundle import (
    CHECKPOINT_DIR,
    ENTRIES,
    FORMAT,
    MANIFEST,
    PROOF_DIR,
    PUBLIC_KEY,
    REPORT,
    checkpoint_name,
    expected_member,
    parse_consistency,
    proof_name,
)
from bot.evidence.canonical import canonical_without, parse_plain
from bot.evidence.chain import GENESIS
from bot.evidence.notes import Checkpoint, CheckpointError, verify_checkpoint
from bot.evidence.report import render_rows, report_row
from bot.evidence.review_check import ReviewMismatch, check_review
from bot.evidence.signing import SigningKeyError, load_public_key


class Tampered(Refused):
    """The bundle was changed, or never was what it claims."""


@dataclass(frozen=True)
class Bundle:
    """A bundle whose contents agree with each other and with its signed checkpoints."""

    incident: str
    lines: list[bytes]
    notes: list[str]
    checkpoints: list[Checkpoint]
    embedded_key: Ed25519PublicKey
    files: dict[str, bytes]
    tree: MerkleTree  # over ``lines``: any prefix's root and proofs in O(log n)
    review: str = ""  # what the review check found (bot.evidence.review_check)

    @property
    def latest(self) -> Checkpoint:
        return self.checkpoints[-1]


def open_bundle(
    path: Path, trusted: Ed25519PublicKey | None = None, limits: Limits = DEFAULT_LIMITS
) -> Bundle:
    """The bundle's contents, once every check that needs nothing from outside has passed.

    ``trusted`` is the key the auditor gave; without it the embedded key checks
    the signatures, which proves consistency but not who signed.
    """
    files = read_members(path, expected_member, limits)
    manifest = _manifest(files)
    _check_files(files, manifest)
    incident = manifest["incident"]
    lines = _lines(files[ENTRIES])
    count = _check_layout(files, manifest, len(lines))
    embedded = _bundled_key(files)
    notes = [_text(checkpoint_name(i), files[checkpoint_name(i)]) for i in range(1, count + 1)]
    checkpoints = [
        _checkpoint(checkpoint_name(i), note, trusted or embedded, incident)
        for i, note in enumerate(notes, start=1)
    ]
    tree, rows = _check_chain(lines, incident)
    _check_roots(tree, checkpoints)
    _check_proofs(files, checkpoints, tree)
    if files[REPORT] != render_rows(incident, rows).encode():
        raise Tampered(f"{REPORT} does not say what the entries say: the report was changed")
    try:
        review = check_review(incident, files, lines)
    except ReviewMismatch as exc:
        raise Tampered(str(exc)) from exc
    return Bundle(incident, lines, notes, checkpoints, embedded, files, tree, review)


def load_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise Tampered(f"{what} is not JSON: {str(exc)[:200]}") from exc


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in files:
        raise Tampered(f"{MANIFEST} is missing")
    manifest = load_json(files[MANIFEST], MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Tampered(f"{MANIFEST} is not a {FORMAT} manifest")
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise Tampered(f"{MANIFEST} lacks its file list")
    if not isinstance(manifest.get("incident"), str):
        raise Tampered(f"{MANIFEST} does not name its incident")
    for field in ("entries", "checkpoints", "proofs"):
        if type(manifest.get(field)) is not int:
            raise Tampered(f"{MANIFEST} has no count of {field}")
    return manifest


def _check_files(files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    listed: dict[str, str] = manifest["files"]
    for name in sorted(set(files) - set(listed) - {MANIFEST}):
        raise Tampered(f"{name} is not in the manifest: a file was added after export")
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise Tampered(f"{name[:200]} is missing from the bundle")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise Tampered(
                f"{name} was changed after export: its SHA-256 differs from the manifest"
            )
    for name in (ENTRIES, REPORT, PUBLIC_KEY):
        if name not in listed:
            raise Tampered(f"{name} is missing from the bundle")


def _check_layout(files: dict[str, bytes], manifest: dict[str, Any], entries: int) -> int:
    """Checkpoints numbered 1..k and proofs 2..k, in archive order, as the manifest counts."""
    notes = _numbered(files, CHECKPOINT_DIR, first=1)
    proofs = _numbered(files, PROOF_DIR, first=2)
    if not notes:
        raise Tampered("the bundle holds no signed checkpoint")
    if proofs != notes - 1:
        raise Tampered(f"the bundle holds {proofs} consistency proofs for {notes} checkpoints")
    for field, found in (("entries", entries), ("checkpoints", notes), ("proofs", proofs)):
        if manifest[field] != found:
            raise Tampered(
                f"{MANIFEST} counts {manifest[field]} {field} but the bundle holds {found}"
            )
    return notes


def _numbered(files: dict[str, bytes], directory: str, first: int) -> int:
    names = [n for n in files if n.startswith(directory)]
    for number, name in enumerate(names, start=first):
        if name.split("/")[1].split(".")[0] != f"{number:06d}":
            raise Tampered(
                f"{name} is out of order or follows a gap: expected number {number:06d} here"
            )
    return len(names)


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Tampered(f"{name} is not UTF-8 text") from exc


def _bundled_key(files: dict[str, bytes]) -> Ed25519PublicKey:
    try:
        return load_public_key(files[PUBLIC_KEY])
    except (SigningKeyError, ValueError, TypeError) as exc:
        raise Tampered(f"{PUBLIC_KEY} is unusable: {exc}") from exc


def _lines(data: bytes) -> list[bytes]:
    if data and not data.endswith(b"\n"):
        raise Tampered(f"{ENTRIES} does not end with a newline: truncated mid-entry")
    lines = data.split(b"\n")[:-1] if data else []
    for number, line in enumerate(lines, start=1):
        if not line:
            raise Tampered(f"{ENTRIES} line {number} is empty")
    return lines


def _checkpoint(name: str, note: str, key: Ed25519PublicKey, incident: str) -> Checkpoint:
    try:
        checkpoint = verify_checkpoint(note, key)
    except CheckpointError as exc:
        raise Tampered(f"{name}: {exc}") from exc
    if checkpoint.incident_id != incident or checkpoint.origin == incident:
        raise Tampered(f"{name} signs {checkpoint.origin[:200]}, not an origin of {incident}")
    return checkpoint


def _check_chain(lines: list[bytes], incident: str) -> tuple[MerkleTree, list[str]]:
    """One pass over the entries: each is parsed and canonicalised once, checked against
    its own hash and its predecessor, and hashed into the Merkle tree; the report's rows
    come along. Returns the tree and the rows."""
    tree, rows, previous = MerkleTree(), [], GENESIS
    for number, line in enumerate(lines, start=1):
        entry, rest = _entry(number, line)
        seq = entry.get("seq")
        if type(seq) is not int or seq != number:
            raise Tampered(_sequence_problem(number, seq, lines))
        claimed = entry.get("hash")
        if hashlib.sha256(rest).hexdigest() != claimed:
            raise Tampered(f"entry {seq} was changed: its hash does not match its contents")
        if entry.get("prev_hash") != previous:
            raise Tampered(f"entry {seq} does not link to entry {seq - 1}: inserted or reordered")
        if entry.get("incident") != incident:
            raise Tampered(f"entry {seq} belongs to another incident, not {incident}")
        previous = str(claimed)
        tree.append(leaf_hash(line))
        rows.append(report_row(entry))
    return tree, rows


def _entry(number: int, line: bytes) -> tuple[dict[str, Any], bytes]:
    """The entry, and the canonical form of it without its ``hash`` (what that hashes)."""
    try:
        entry, plain = parse_plain(line)
    except (ValueError, RecursionError) as exc:
        raise Tampered(f"{ENTRIES} line {number} is not JSON: {str(exc)[:200]}") from exc
    if not isinstance(entry, dict):
        raise Tampered(f"{ENTRIES} line {number} is not the canonical form of an entry: changed")
    try:
        whole, rest = canonical_without(entry, "hash", plain=plain)
    except IntegerDomainError as exc:
        raise Tampered(
            f"{ENTRIES} line {number} holds a whole number of 2^53 or more, which canonical "
            "JSON (RFC 8785) cannot represent exactly: not an entry Blastwall wrote"
        ) from exc
    except (CanonicalizationError, ValueError, TypeError, RecursionError) as exc:
        raise Tampered(f"{ENTRIES} line {number} has no canonical form: {exc}") from exc
    if whole != line:
        raise Tampered(f"{ENTRIES} line {number} is not the canonical form of an entry: changed")
    return entry, rest


def _sequence_problem(position: int, seq: object, lines: list[bytes]) -> str:
    """Says what happened to the order; reads the later entries only on this error path."""
    if type(seq) is not int:
        return f"{ENTRIES} line {position} has no valid sequence number"
    later = [_seq_of(line) for line in lines[position:]]
    if position in later:
        return f"entry {seq} appears at position {position}: entries were reordered"
    if seq > position:
        return f"entry {position} is missing (found {seq} in its place): an entry was dropped"
    return f"entry {seq} appears at position {position}: entries were reordered or inserted"


def _seq_of(line: bytes) -> object:
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return entry.get("seq") if isinstance(entry, dict) else None


def _check_roots(tree: MerkleTree, checkpoints: list[Checkpoint]) -> None:
    previous = checkpoints[0]
    for number, checkpoint in enumerate(checkpoints, start=1):
        name = checkpoint_name(number)
        if checkpoint.origin != previous.origin:
            raise Tampered(f"{name} has origin {checkpoint.origin}, not {previous.origin}")
        if checkpoint.size < previous.size:
            raise Tampered(f"{name} signs fewer entries than the checkpoint before it")
        if checkpoint.size > tree.size:
            raise Tampered(
                f"{name} signs {checkpoint.size} entries but the bundle holds {tree.size}: "
                "the ledger was truncated"
            )
        if tree.root(checkpoint.size) != checkpoint.root_hash:
            raise Tampered(
                f"{name}: the first {checkpoint.size} entries do not match "
                "the signed root: history was rewritten"
            )
        previous = checkpoint
    if checkpoints[-1].size != tree.size:
        raise Tampered(
            f"entries {checkpoints[-1].size + 1}..{tree.size} are not covered by any "
            "signed checkpoint: they were added after signing"
        )


def _check_proofs(files: dict[str, bytes], checkpoints: list[Checkpoint], tree: MerkleTree) -> None:
    """Each proof must be the RFC 6962 one the entries give (the roots it joins were
    checked against the entries already): O(log n) each, from the one pass's tree."""
    for number in range(2, len(checkpoints) + 1):
        name = proof_name(number)
        old, new = checkpoints[number - 2], checkpoints[number - 1]
        try:
            size, proof = parse_consistency(files[name])
        except ValueError as exc:
            raise Tampered(f"{name} is not a consistency proof: {exc}") from exc
        if size != old.size:
            raise Tampered(f"{name} starts from {size} entries, not {old.size}")
        if proof != tree.consistency_proof(old.size, new.size):
            raise Tampered(
                f"{name} does not prove that checkpoint {number} extends checkpoint {number - 1}"
            )
