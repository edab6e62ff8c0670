"""Checkpoints as signed notes (C2SP signed-note carrying a tlog-checkpoint body).

Body: the origin ``<deployment origin>/<incident>``, the tree size, the base64
Merkle root, each on its own line (C2SP allows extension lines after them).
Then a blank line and ``— <name> <base64(key id || signature)>``. The key name
is the origin, and the key id is the first four bytes of SHA-256(name || "\\n"
|| 0x01 || public key), exactly as Go's ``sumdb/note`` computes it, so an
auditor can check a checkpoint with tools that are not ours.

The deployment origin is domain-qualified (``blastwall.example.com``) so that
two deployments never issue checkpoints for the same origin. A note may carry
other signatures (witness cosignatures, keys we do not know): C2SP says to
ignore those, and we do.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.evidence.signing import raw_public_key

DEFAULT_ORIGIN = "blastwall.invalid"
ED25519 = 0x01
MAX_SIGNATURES = 100
_DASH = "\u2014"
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class CheckpointError(Exception):
    pass


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @property
    def incident_id(self) -> str:
        return self.origin.rpartition("/")[2]

    def triple(self) -> str:
        """``<origin> <size> <root>``: the body's first three lines joined, as posted in chat."""
        return f"{self.origin} {self.size} {base64.b64encode(self.root_hash).decode()}"


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    blob: bytes  # what follows the key id


@dataclass(frozen=True)
class Note:
    body: str
    signatures: tuple[Signature, ...]


_NAME = re.compile(r"[^\s+]+")  # \s is str.isspace() for str patterns


def valid_name(name: str) -> bool:
    """A note key name: non-empty, no whitespace, no ``+`` (Go's ``sumdb/note`` rule)."""
    return _NAME.fullmatch(name) is not None


def origin_from_url(url: str) -> str:
    """``https://blastwall.example.com/`` -> ``blastwall.example.com``: a schema-less origin.

    For deriving the deployment origin from ``BLASTWALL_PUBLIC_URL`` when
    ``BLASTWALL_ORIGIN`` is not set; raises ValueError when no usable name results.
    """
    origin = url.strip().split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if not valid_name(origin) or _CONTROL.search(origin):
        raise ValueError(f"cannot make a checkpoint origin of {url!r}")
    return origin


def incident_origin(deployment_origin: str, incident_id: str) -> str:
    origin = f"{deployment_origin.rstrip('/')}/{incident_id}"
    if not valid_name(origin) or _CONTROL.search(origin):
        raise ValueError(f"not a usable checkpoint origin: {origin!r}")
    return origin


def key_id(name: str, public_key: Ed25519PublicKey, kind: int = ED25519) -> bytes:
    material = name.encode() + b"\n" + bytes([kind]) + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def checkpoint_body(origin: str, size: int, root_hash: bytes) -> str:
    root = base64.b64encode(root_hash).decode()
    return f"{origin}\n{size}\n{root}\n"


class NoteSigner:
    """Signs one deployment's checkpoints: origin and key name ``<origin>/<incident>``."""

    def __init__(self, key: Ed25519PrivateKey, origin: str = DEFAULT_ORIGIN) -> None:
        if not valid_name(origin.rstrip("/")):
            raise ValueError(f"not a usable deployment origin: {origin!r}")
        incident_origin(origin, "INC-00000000-0000")  # refuse an unusable origin early
        self._key = key
        self.origin = origin.rstrip("/")

    def sign(self, incident_id: str, size: int, root_hash: bytes) -> str:
        origin = incident_origin(self.origin, incident_id)
        body = checkpoint_body(origin, size, root_hash)
        blob = key_id(origin, self._key.public_key()) + self._key.sign(body.encode())
        return f"{body}\n{_DASH} {origin} {base64.b64encode(blob).decode()}\n"

    def verify(self, note: str) -> tuple[int, bytes]:
        """(size, root) of a note this key signed, under whatever origin was configured
        then (a changed BLASTWALL_ORIGIN is no rewrite); CheckpointError otherwise."""
        checkpoint = verify_checkpoint(note, self._key.public_key())
        return checkpoint.size, checkpoint.root_hash


def verify_checkpoint(note: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint, if the log key (name == origin) signed it; other signatures are ignored."""
    parsed = parse_note(note)
    checkpoint = parse_body(parsed.body)
    ours = [s for s in parsed.signatures if s.name == checkpoint.origin]
    if not ours:
        raise CheckpointError(f"malformed checkpoint: no signature by {checkpoint.origin!r}")
    expected = key_id(checkpoint.origin, public_key)
    matching = [s for s in ours if s.key_id == expected]
    if not matching:
        raise CheckpointError("signed by another key (key id mismatch)")
    for signature in matching:
        try:
            public_key.verify(signature.blob, parsed.body.encode())
        except InvalidSignature as exc:
            raise CheckpointError("signature does not verify") from exc
    return checkpoint


def parse_note(note: str) -> Note:
    """Split a signed note into its body and well-formed signature lines (unverified)."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n") or cut + 2 >= len(note):
        raise CheckpointError("malformed checkpoint: no signature block")
    body, block = note[: cut + 1], note[cut + 2 :]
    if _CONTROL.search(note):
        raise CheckpointError("malformed checkpoint: control characters in the note")
    lines = block.splitlines()
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"malformed checkpoint: more than {MAX_SIGNATURES} signatures")
    return Note(body, tuple(_signature(line) for line in lines))


def _signature(line: str) -> Signature:
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != _DASH or not valid_name(parts[1]):
        raise CheckpointError(f"malformed checkpoint: bad signature line {line[:200]!r}")
    try:
        blob = base64.b64decode(parts[2], validate=True)
    except ValueError as exc:  # binascii.Error, or text that is not ASCII
        raise CheckpointError("malformed checkpoint: signature is not base64") from exc
    if len(blob) < 5:
        raise CheckpointError("malformed checkpoint: signature is too short")
    return Signature(parts[1], blob[:4], blob[4:])


def parse_body(body: str) -> Checkpoint:
    lines = body.split("\n")[:-1]
    if len(lines) < 3 or not lines[0] or not _DECIMAL.fullmatch(lines[1]):
        raise CheckpointError("malformed checkpoint: expected origin, size and root lines")
    if any(not line for line in lines):
        raise CheckpointError("malformed checkpoint: empty line in the body")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError as exc:  # binascii.Error, or text that is not ASCII
        raise CheckpointError("malformed checkpoint: root is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("malformed checkpoint: root is not a SHA-256 hash")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]))


def read_unverified(note: str) -> Checkpoint:
    """The checkpoint's claims without checking who signed them (for the writer's own use)."""
    return parse_body(parse_note(note).body)
