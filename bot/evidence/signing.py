"""The Ed25519 key that signs checkpoints, and the redaction key derived from it."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(Exception):
    pass


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the key, or create it with mode 0600 on first start (of ``serve`` only)."""
    if not path.exists():
        return _create(path)
    return load_signing_key(path)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load an existing key; never creates one (export and public-key only read).

    A key that others can read is refused: whoever reads it can forge checkpoints.
    """
    if not path.exists():
        raise SigningKeyError(f"no signing key at {path} (set BLASTWALL_SIGNING_KEY)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SigningKeyError(
            f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise SigningKeyError(f"{path} is not a PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def public_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(source: Path | bytes) -> Ed25519PublicKey:
    pem = source.read_bytes() if isinstance(source, Path) else source
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise SigningKeyError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"a {type(key).__name__}, not an Ed25519 public key")
    return key


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def redaction_key(key: Ed25519PrivateKey) -> bytes:
    """Derived, so a deployment has one secret to guard rather than two."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hmac.new(raw, b"blastwall-redaction-v1", hashlib.sha256).digest()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """``SHA256:<hex>`` of the raw 32-byte key: what an auditor compares out of band.

    The CLI's ``evidence public-key`` prints it and ``evidence verify`` without
    ``--key`` prints the embedded key's, so the two can be read side by side.
    """
    return "SHA256:" + hashlib.sha256(raw_public_key(public_key)).hexdigest()
