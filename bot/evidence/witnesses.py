"""Witnesses outside Blastwall: C2SP cosignatures and the lines posted in chat.

Whoever holds the database and the signing key can re-sign a rewritten history;
only something they do not control can contradict it. Two such things are
checked here. A witness cosignature (C2SP ``tlog-cosignature``, Ed25519, type
0x04) says "as of time T, this is the largest consistent tree I have seen".
A witness log is a copy of the chat lines in which each checkpoint was posted
as ``<origin> <size> <root>`` when it was signed.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.evidence.notes import Note, key_id, valid_name
from bot.evidence.signing import SigningKeyError, load_public_key, raw_public_key

COSIGNATURE = 0x04
_HEADER = "cosignature/v1"


class WitnessError(Exception):
    pass


@dataclass(frozen=True)
class WitnessKey:
    """A cosigner's Ed25519 key; ``name`` is None when it came as bare PEM."""

    name: str | None
    key: Ed25519PublicKey
    source: str = ""

    def label(self) -> str:
        return f"witness {self.name or self.source or '(PEM key)'}"


@dataclass(frozen=True)
class Cosignature:
    name: str
    timestamp: int


def load_witness_key(text: bytes, source: str = "") -> WitnessKey:
    """A C2SP verifier key ``name+hexid+base64(0x04||key)``, or a PEM public key."""
    if b"-----BEGIN" in text:
        try:
            return WitnessKey(None, load_public_key(text), source)
        except SigningKeyError as exc:
            raise WitnessError(str(exc)) from exc
    try:
        name, hexid, encoded = text.decode("ascii").strip().split("+", 2)
        material = base64.b64decode(encoded, validate=True)
    except ValueError as exc:  # bad text, bad base64, wrong number of parts
        raise WitnessError("not a verifier key (name+keyid+base64) nor a PEM key") from exc
    if not valid_name(name) or len(material) != 33 or material[0] != COSIGNATURE:
        raise WitnessError("not an Ed25519 cosignature (type 0x04) verifier key")
    key = Ed25519PublicKey.from_public_bytes(material[1:])
    if key_id(name, key, COSIGNATURE).hex() != hexid.lower():
        raise WitnessError(f"the verifier key of {name} has the wrong key id")
    return WitnessKey(name, key, source)


def vkey(name: str, key: Ed25519PublicKey) -> str:
    """The C2SP verifier key a witness publishes, so an auditor can pass it to the verifier."""
    material = base64.b64encode(bytes([COSIGNATURE]) + raw_public_key(key)).decode()
    return f"{name}+{key_id(name, key, COSIGNATURE).hex()}+{material}"


def cosign(key: Ed25519PrivateKey, name: str, body: str, timestamp: int) -> str:
    """A cosignature line over a checkpoint body, as a witness would add it."""
    signature = key.sign(_message(body, timestamp))
    blob = key_id(name, key.public_key(), COSIGNATURE) + struct.pack(">Q", timestamp) + signature
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n"


def cosigners(note: Note, witnesses: Sequence[WitnessKey]) -> list[Cosignature]:
    """The witnesses whose cosignature is on the note; a matching one that fails is refused."""
    found = []
    for witness in witnesses:
        for signature in note.signatures:
            if witness.name is not None and signature.name != witness.name:
                continue
            if signature.key_id != key_id(signature.name, witness.key, COSIGNATURE):
                continue
            found.append(_check(note.body, signature.name, signature.blob, witness.key))
            break
    return found


def _check(body: str, name: str, blob: bytes, key: Ed25519PublicKey) -> Cosignature:
    if len(blob) != 8 + 64:
        raise WitnessError(f"the cosignature by {name} has the wrong length")
    (timestamp,) = struct.unpack(">Q", blob[:8])
    if timestamp >= 1 << 63:
        raise WitnessError(f"the cosignature by {name} has an impossible time")
    try:
        key.verify(blob[8:], _message(body, timestamp))
    except InvalidSignature as exc:
        raise WitnessError(f"the cosignature by {name} does not verify") from exc
    return Cosignature(name, timestamp)


def _message(body: str, timestamp: int) -> bytes:
    return f"{_HEADER}\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class Witnessed:
    line: int
    size: int
    root_hash: bytes


def witnessed(log: str, origin: str) -> list[Witnessed]:
    """Every ``<origin> <size> <root>`` triple for this origin in the lines copied from chat."""
    pattern = re.compile(
        r"(?<![\w.\-/+])" + re.escape(origin) + r" (0|[1-9][0-9]{0,18}) ([A-Za-z0-9+/]{43}=)"
        r"(?![A-Za-z0-9+/=])"
    )
    found = []
    for number, line in enumerate(log.splitlines(), start=1):
        for match in pattern.finditer(line):
            root = base64.b64decode(match.group(2))
            found.append(Witnessed(number, int(match.group(1)), root))
    return found
