"""``blastwall evidence prove FILE SEQ`` and ``evidence verify-proof``: one record on its own."""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.evidence.archive import Refused
from bot.evidence.canonical import canonical
from bot.evidence.chain import entry_hash
from bot.evidence.contents import open_bundle
from bot.evidence.inclusion import verify_proof, write_proof
from bot.evidence.notes import parse_note
from bot.evidence.signing import public_key_pem
from bot.evidence.witnesses import cosign, vkey
from tests.evidence.bundles import (
    INCIDENT,
    KEY,
    ORIGIN,
    blastwall,
    entries,
    export,
    ledger,
    rewrite,
)

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    path = tmp_path / "public-key.pem"
    path.write_bytes(public_key_pem(KEY))
    return path


@pytest.fixture
def proof(tmp_path: Path, pub: Path, capsys: Capture) -> Path:
    bundle = export(tmp_path / "b.zip", ledger(7), sizes=(3,))
    out = tmp_path / "entry-4.tlog-proof"
    code, _, err = blastwall(capsys, "evidence", "prove", bundle, "4", "-o", out, "--key", pub)
    assert code == 0, err
    return out


def _replace_extra(proof: Path, line: bytes) -> None:
    head, sep, rest = proof.read_text().partition("\nindex ")
    first, _ = head.split("\nextra ")
    proof.write_text(f"{first}\nextra {base64.b64encode(line).decode()}{sep}{rest}")


def test_a_proof_is_a_c2sp_tlog_proof_with_the_signed_checkpoint(proof: Path) -> None:
    text = proof.read_text()
    head, note = text.split("\n\n", 1)
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1].startswith("extra ") and lines[2] == "index 3"
    assert len(lines[3:]) == 3  # log2(7) rounded up
    assert note.startswith(f"{ORIGIN}/{INCIDENT}\n7\n")
    assert parse_note(note).signatures[0].name == f"{ORIGIN}/{INCIDENT}"


def test_a_proof_verifies_alone(proof: Path, pub: Path, capsys: Capture) -> None:
    code, out, err = blastwall(capsys, "evidence", "verify-proof", proof, "--key", pub)
    assert code == 0, err
    assert f"entry 4 is in {ORIGIN}/{INCIDENT} at 7 entries; signed by the given key" in out
    code, out, _ = blastwall(capsys, "evidence", "verify-proof", proof)
    assert code == 0 and "signer not checked" in out


def test_the_entry_can_be_given_separately(
    proof: Path, pub: Path, tmp_path: Path, capsys: Capture
) -> None:
    line = tmp_path / "entry.json"
    line.write_bytes(ledger(7)[3] + b"\n")
    args = ("evidence", "verify-proof", proof, "--key", pub, "--entry", line)
    assert blastwall(capsys, *args)[0] == 0
    line.write_bytes(ledger(7)[4])
    code, _, err = blastwall(capsys, *args)
    assert code == 1 and "not the one the proof carries" in err


def test_a_changed_entry_is_refused(proof: Path, pub: Path, capsys: Capture) -> None:
    entry = json.loads(ledger(7)[3])
    entry["what"] = "nothing happened"
    del entry["hash"]
    entry["hash"] = entry_hash(entry)
    _replace_extra(proof, canonical(entry))
    code, _, err = blastwall(capsys, "evidence", "verify-proof", proof, "--key", pub)
    assert code == 1 and "is not entry 4 under the checkpoint's root" in err


def test_another_entry_at_this_index_is_refused(proof: Path, pub: Path, capsys: Capture) -> None:
    _replace_extra(proof, ledger(7)[4])
    code, _, err = blastwall(capsys, "evidence", "verify-proof", proof, "--key", pub)
    assert code == 1 and "NOT VERIFIED" in err


def test_another_key_is_refused(proof: Path, tmp_path: Path, capsys: Capture) -> None:
    other = tmp_path / "other.pem"
    other.write_bytes(public_key_pem(Ed25519PrivateKey.generate()))
    code, _, err = blastwall(capsys, "evidence", "verify-proof", proof, "--key", other)
    assert code == 1 and "key id mismatch" in err


def test_a_cosigned_checkpoint_names_its_witness(
    proof: Path, pub: Path, tmp_path: Path, capsys: Capture
) -> None:
    witness = Ed25519PrivateKey.generate()
    text = proof.read_text()
    note = text.split("\n\n", 1)[1]
    proof.write_text(
        text + cosign(witness, "witness.example", parse_note(note).body, 1_795_000_000)
    )
    vk = tmp_path / "w.vkey"
    vk.write_text(vkey("witness.example", witness.public_key()))
    code, out, err = blastwall(
        capsys, "evidence", "verify-proof", proof, "--key", pub, "--witness-key", vk
    )
    assert code == 0, err
    assert "witness witness.example cosigned the checkpoint" in out
    vk.write_text(vkey("witness.example", Ed25519PrivateKey.generate().public_key()))
    code, _, err = blastwall(capsys, "evidence", "verify-proof", proof, "--witness-key", vk)
    assert code == 1 and "did not cosign" in err


def test_prove_refuses_what_it_cannot_prove(tmp_path: Path, pub: Path, capsys: Capture) -> None:
    bundle = export(tmp_path / "b.zip", ledger(3))
    code, _, err = blastwall(capsys, "evidence", "prove", bundle, "9")
    assert code == 2 and "entries 1..3, not 9" in err
    tampered = rewrite(
        bundle, tmp_path / "t.zip", entries(lambda ls: [*ls[:2], ls[2].replace(b"step", b"stop")])
    )
    code, _, err = blastwall(capsys, "evidence", "prove", tampered, "1", "--key", pub)
    assert code == 1 and "NOT VERIFIED" in err
    code, out, _ = blastwall(capsys, "evidence", "prove", bundle, "2")
    assert code == 0 and out.startswith("c2sp.org/tlog-proof@v1\n")


def test_junk_is_not_a_proof(tmp_path: Path, capsys: Capture) -> None:
    junk = tmp_path / "junk"
    junk.write_text("hello\n\nworld\n")
    code, _, err = blastwall(capsys, "evidence", "verify-proof", junk)
    assert code == 1 and "not a c2sp.org/tlog-proof@v1 proof" in err


_PROOF = write_proof(open_bundle(export(Path(tempfile.mkdtemp()) / "b.zip", ledger(5), (2,))), 3)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**5), st.text(max_size=60), st.integers(0, 10**5))
def test_mutated_proofs_are_refused_cleanly(at: int, junk: str, cut: int) -> None:
    start = at % (len(_PROOF) + 1)
    text = _PROOF[:start] + junk + _PROOF[start + cut % 8 :]
    try:
        verify_proof(text, None, KEY.public_key())
    except Refused:
        pass
