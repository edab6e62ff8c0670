"""One entry handed over on its own: a C2SP ``tlog-proof`` and its verification.

The proof holds the entry's zero-based index, the RFC 6962 inclusion hashes
and the latest signed checkpoint verbatim (cosignatures included). The entry's
canonical line travels in the proof's ``extra`` line, which C2SP leaves
unauthenticated: it is trusted only because its leaf hash is what the proof
puts under the signed root. Whoever receives one record can thus check it
against the public key without seeing any other entry.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.core.merkle import HASH_SIZE, MAX_PROOF, leaf_hash, verify_inclusion
from bot.evidence.canonical import canonical
from bot.evidence.chain import entry_hash
from bot.evidence.contents import Bundle, Tampered, load_json
from bot.evidence.notes import Checkpoint, CheckpointError, parse_note, read_unverified
from bot.evidence.notes import verify_checkpoint as verify_note
from bot.evidence.witnesses import WitnessError, WitnessKey, cosigners

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_FILE = 1024 * 1024
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,18})")


@dataclass(frozen=True)
class Proven:
    seq: int
    checkpoint: Checkpoint
    entry: bytes
    signer_checked: bool
    cosigners: tuple[str, ...]


def write_proof(bundle: Bundle, seq: int) -> str:
    """The tlog-proof of entry ``seq`` (1-based) under the bundle's latest checkpoint."""
    if not 1 <= seq <= len(bundle.lines):
        raise ValueError(f"the bundle holds entries 1..{len(bundle.lines)}, not {seq}")
    line = bundle.lines[seq - 1]
    hashes = bundle.tree.inclusion_proof(seq - 1, bundle.tree.size)
    head = [HEADER, f"extra {base64.b64encode(line).decode()}", f"index {seq - 1}"]
    head += [base64.b64encode(h).decode() for h in hashes]
    return "\n".join(head) + "\n\n" + bundle.notes[-1]


def verify_proof(
    text: str,
    entry: bytes | None,
    key: Ed25519PublicKey | None,
    witnesses: Sequence[WitnessKey] = (),
) -> Proven:
    """Refuse (``Tampered``) unless the entry is under the proof's checkpoint."""
    head, sep, note = text.partition("\n\n")
    if not sep or not head.startswith(HEADER + "\n"):
        raise Tampered(f"not a {HEADER} proof")
    extra, index, hashes = _head(head.split("\n")[1:])
    line = _entry_line(entry, extra)
    checkpoint = _checkpoint(note, key)
    if not verify_inclusion(leaf_hash(line), index, checkpoint.size, hashes, checkpoint.root_hash):
        raise Tampered(
            f"the entry is not entry {index + 1} under the checkpoint's root: changed or forged"
        )
    _check_entry(line, index + 1, checkpoint)
    try:
        names = [c.name for c in cosigners(parse_note(note), witnesses)]
    except WitnessError as exc:
        raise Tampered(str(exc)) from exc
    missing = [w.label() for w in witnesses if not cosigners(parse_note(note), [w])]
    if missing:
        raise Tampered(f"{', '.join(missing)} did not cosign the proof's checkpoint")
    return Proven(index + 1, checkpoint, line, key is not None, tuple(names))


def _head(lines: list[str]) -> tuple[bytes | None, int, list[bytes]]:
    extra = None
    try:
        if lines and lines[0].startswith("extra "):
            extra = base64.b64decode(lines.pop(0)[6:], validate=True)
        if not lines or not _INDEX.fullmatch(lines[0]):
            raise Tampered("the proof has no 'index N' line")
        hashes = [base64.b64decode(h, validate=True) for h in lines[1:]]
    except ValueError as exc:  # binascii.Error, or text that is not ASCII
        raise Tampered("the proof holds a line that is not base64") from exc
    if len(hashes) > MAX_PROOF or any(len(h) != HASH_SIZE for h in hashes):
        raise Tampered("the proof holds a hash that is not a SHA-256 hash")
    return extra, int(lines[0][6:]), hashes


def _entry_line(entry: bytes | None, extra: bytes | None) -> bytes:
    given = entry.removesuffix(b"\n") if entry is not None else None
    if given is not None and extra is not None and given != extra:
        raise Tampered("the given entry is not the one the proof carries")
    line = given if given is not None else extra
    if not line:
        raise Tampered("no entry: give it with --entry, or use a proof that carries it")
    return line


def _checkpoint(note: str, key: Ed25519PublicKey | None) -> Checkpoint:
    try:
        return verify_note(note, key) if key is not None else read_unverified(note)
    except CheckpointError as exc:
        raise Tampered(f"the proof's checkpoint: {exc}") from exc


def _check_entry(line: bytes, seq: int, checkpoint: Checkpoint) -> None:
    entry = load_json(line, "the entry")
    if not isinstance(entry, dict):
        raise Tampered("the entry is not a JSON object")
    try:
        canonical_line = canonical(entry)
    except (ValueError, RecursionError) as exc:
        raise Tampered(f"the entry has no canonical form: {str(exc)[:200]}") from exc
    claimed = entry.pop("hash", None)
    if canonical_line != line or entry_hash(entry) != claimed or entry.get("seq") != seq:
        raise Tampered("the entry's own hash or sequence number does not match it")
    if entry.get("incident") != checkpoint.incident_id:
        raise Tampered(f"the entry belongs to another incident than {checkpoint.origin}")
