"""Checkpoints as signed notes (C2SP signed-note carrying a tlog-checkpoint body).

Body: the origin ``blastwall/<incident>``, the tree size, the base64 Merkle
root, each on its own line. Then a blank line and ``— <name> <base64(key id ||
signature)>``, the key id being the first four bytes of
SHA-256(name || "\\n" || 0x01 || public key). Standard formats mean an auditor
can check them with tools that are not ours.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.evidence.signing import raw_public_key

ORIGIN_PREFIX = "blastwall/"
_ED25519 = b"\x01"
_DASH = "\u2014"


class CheckpointError(Exception):
    pass


@dataclass(frozen=True)
class Checkpoint:
    incident_id: str
    size: int
    root_hash: bytes


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    material = name.encode() + b"\n" + _ED25519 + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def checkpoint_body(
    incident_id: str, size: int, root_hash: bytes, origin: str = "blastwall"
) -> str:
    root = base64.b64encode(root_hash).decode()
    return f"{origin}/{incident_id}\n{size}\n{root}\n"


class NoteSigner:
    """Signs as the deployment's origin: the key name, and the prefix of each
    incident's checkpoint origin ``<origin>/<incident>``."""

    def __init__(self, key: Ed25519PrivateKey, origin: str = "blastwall") -> None:
        self._key = key
        self._name = origin
        self._id = key_id(origin, key.public_key())

    def sign(self, incident_id: str, size: int, root_hash: bytes) -> str:
        body = checkpoint_body(incident_id, size, root_hash, self._name)
        signature = self._key.sign(body.encode())
        encoded = base64.b64encode(self._id + signature).decode()
        return f"{body}\n{_DASH} {self._name} {encoded}\n"

    def verify(self, note: str) -> tuple[int, bytes]:
        """(size, root) of a note this key signed, under whatever origin was configured
        then (a changed BLASTWALL_ORIGIN is no rewrite); CheckpointError otherwise."""
        checkpoint = verify_checkpoint(note, self._key.public_key())
        return checkpoint.size, checkpoint.root_hash


def verify_checkpoint(
    note: str, public_key: Ed25519PublicKey, name: str | None = None
) -> Checkpoint:
    """``name`` defaults to the origin the note names (its first line, less the incident)."""
    body, signatures = _split(note)
    name = name if name is not None else _origin_of(body)
    expected_id = key_id(name, public_key)
    ours = [blob for signer, blob in signatures if signer == name]
    if not ours:
        raise CheckpointError(f"malformed checkpoint: no signature by {name!r}")
    for blob in ours:
        if blob[:4] != expected_id:
            raise CheckpointError("signed by another key (key id mismatch)")
        try:
            public_key.verify(blob[4:], body.encode())
        except InvalidSignature as exc:
            raise CheckpointError("signature does not verify") from exc
    return _parse_body(body, name)


def _origin_of(body: str) -> str:
    origin, slash, _ = body.partition("\n")[0].rpartition("/")
    if not slash or not origin:
        raise CheckpointError("malformed checkpoint: the origin names no incident")
    return origin


def _split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    body, sep, rest = note.partition("\n\n")
    if not sep or not rest.endswith("\n"):
        raise CheckpointError("malformed checkpoint: no signature block")
    signatures = []
    for line in rest.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH:
            raise CheckpointError(f"malformed checkpoint: bad signature line {line!r}")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error as exc:
            raise CheckpointError("malformed checkpoint: signature is not base64") from exc
        if len(blob) != 4 + 64:
            raise CheckpointError("malformed checkpoint: signature has the wrong length")
        signatures.append((parts[1], blob))
    return body + "\n", signatures


def _parse_body(body: str, origin: str) -> Checkpoint:
    prefix = origin + "/"
    lines = body.splitlines()
    if len(lines) < 3 or not lines[0].startswith(prefix) or not lines[1].isdigit():
        raise CheckpointError("malformed checkpoint: expected origin, size and root lines")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error as exc:
        raise CheckpointError("malformed checkpoint: root is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("malformed checkpoint: root is not a SHA-256 hash")
    return Checkpoint(lines[0].removeprefix(prefix), int(lines[1]), root)


def read_unverified(note: str) -> Checkpoint:
    """The checkpoint's claims without checking who signed them (for the writer's own use)."""
    body = _split(note)[0]
    return _parse_body(body, _origin_of(body))
