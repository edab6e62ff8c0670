from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.evidence.notes import CheckpointError, NoteSigner, verify_checkpoint
from bot.evidence.signing import (
    SigningKeyError,
    load_or_create_signing_key,
    load_public_key,
    public_key_pem,
    redaction_key,
)
from bot.logs import install_redaction
from bot.secrets import build_redactor


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
    note = NoteSigner(key).sign("INC-20261122-0001", 3, b"\x01" * 32)
    assert note.startswith("blastwall/INC-20261122-0001\n3\n")
    assert "\n\n\u2014 blastwall " in note
    checkpoint = verify_checkpoint(note, key.public_key())
    assert (checkpoint.incident_id, checkpoint.size, checkpoint.root_hash) == (
        "INC-20261122-0001",
        3,
        b"\x01" * 32,
    )
    with pytest.raises(CheckpointError, match="malformed"):
        verify_checkpoint("blastwall/x\n1\n", key.public_key())


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
