from __future__ import annotations

import base64
import hashlib
import logging
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bot.evidence.notes import (
    DEFAULT_ORIGIN,
    CheckpointError,
    NoteSigner,
    origin_from_url,
    verify_checkpoint,
)
from bot.evidence.signing import (
    SigningKeyError,
    load_or_create_signing_key,
    load_public_key,
    public_key_pem,
    redaction_key,
)
from bot.secrets import build_redactor
from bot.secrets.logs import install_redaction


def test_first_start_creates_a_private_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.pem"
    key = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_signing_key(path)
    assert public_key_pem(again) == public_key_pem(key)
    assert redaction_key(again) == redaction_key(key)


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    load_or_create_signing_key(path)
    path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="readable by others"):
        load_or_create_signing_key(path)


def test_a_public_key_that_is_not_ed25519_is_refused() -> None:
    with pytest.raises(SigningKeyError):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_a_signed_note_round_trips_and_names_its_signer(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path / "k.pem")
    note = NoteSigner(key, "blastwall.example.com").sign("INC-20261122-0001", 3, b"\x01" * 32)
    origin = "blastwall.example.com/INC-20261122-0001"
    assert note.startswith(f"{origin}\n3\n")
    assert f"\n\n\u2014 {origin} " in note  # the key name is the origin
    checkpoint = verify_checkpoint(note, key.public_key())
    assert (checkpoint.origin, checkpoint.incident_id, checkpoint.size) == (
        origin,
        "INC-20261122-0001",
        3,
    )
    assert checkpoint.root_hash == b"\x01" * 32
    with pytest.raises(CheckpointError, match="malformed"):
        verify_checkpoint("blastwall.example.com/x\n1\n", key.public_key())


def test_the_key_id_is_the_one_go_sumdb_note_computes(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path / "k.pem")
    note = NoteSigner(key).sign("INC-20261122-0001", 1, bytes(32))
    name = f"{DEFAULT_ORIGIN}/INC-20261122-0001"
    blob = base64.b64decode(note.rsplit(" ", 1)[1])
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert blob[:4] == hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://blastwall.example.com/", "blastwall.example.com"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("https://example.com/ir/blastwall?x=1", "example.com/ir/blastwall"),
    ],
)
def test_a_public_url_gives_a_schema_less_origin(url: str, origin: str) -> None:
    assert origin_from_url(url) == origin
    with pytest.raises(ValueError):
        origin_from_url("https://")


@pytest.mark.parametrize("origin", ["has space.example", "plus+sign.example", ""])
def test_an_origin_that_cannot_be_a_key_name_is_refused(origin: str) -> None:
    with pytest.raises(ValueError):
        NoteSigner(Ed25519PrivateKey.generate(), origin)


def test_unknown_signatures_on_a_note_are_ignored(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path / "k.pem")
    note = NoteSigner(key, "bw.example").sign("INC-20261122-0001", 2, bytes(32))
    other = base64.b64encode(b"\x00" * 68).decode()
    stranger = base64.b64encode(b"\x01\x02\x03\x04" + b"\x05" * 40).decode()
    extended = (
        note
        + f"\u2014 witness.example/w1 {other}\n\u2014 bw.example/INC-20261122-0001 {stranger}\n"
    )
    assert verify_checkpoint(extended, key.public_key()).size == 2
    only_others = note.split("\n\n")[0] + f"\n\n\u2014 witness.example/w1 {other}\n"
    with pytest.raises(CheckpointError, match="no signature by"):
        verify_checkpoint(only_others, key.public_key())


def test_logs_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("blastwall.test.redaction")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_redaction(build_redactor(b"r" * 32), logger)
        logger.error("clicked with %s", "xoxb-1234567890-abcdefghijkl")
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert "xoxb-1234567890" not in err and "[REDACTED:slack_token:" in err
