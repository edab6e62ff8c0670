"""``blastwall evidence verify`` against what the auditor holds: a trusted key, a prior
checkpoint, witness cosignatures and the checkpoint lines posted in chat.

The insider here holds the database and the signing key: every forged bundle is
re-signed with the real key and verifies on its own. Only the outside evidence
catches it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.merkle import merkle_root
from bot.evidence.bundle import write_bundle
from bot.evidence.chain import GENESIS, seal
from bot.evidence.notes import NoteSigner, parse_note
from bot.evidence.report import render_report
from bot.evidence.signing import fingerprint, public_key_pem
from bot.evidence.witnesses import cosign, load_witness_key, vkey
from tests.evidence.bundles import INCIDENT, KEY, ORIGIN, blastwall, export, ledger, members

Capture = pytest.CaptureFixture[str]
WITNESS = Ed25519PrivateKey.generate()
WITNESS_NAME = "witness.example/w1"


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    path = tmp_path / "public-key.pem"
    path.write_bytes(public_key_pem(KEY))
    return path


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    """The bundle the auditor exported last week: 4 entries."""
    return export(tmp_path / "earlier.zip", ledger(4), sizes=(2,))


def _rewritten(count: int) -> list[bytes]:
    """Entry 2 says something else, and the chain is rebuilt after it."""
    lines, previous = [], GENESIS
    for number, line in enumerate(ledger(count), start=1):
        entry = json.loads(line)
        body = {k: v for k, v in entry.items() if k not in ("seq", "prev_hash", "hash")}
        if number == 2:
            body["what"] = "nothing happened"
        sealed = seal(body, number, previous)
        lines.append(sealed.line)
        previous = sealed.hash
    return lines


def test_without_a_key_the_verdict_says_signer_not_checked(tmp_path: Path, capsys: Capture) -> None:
    bundle = export(tmp_path / "b.zip", ledger())
    code, out, _ = blastwall(capsys, "evidence", "verify", bundle)
    assert code == 0
    assert "signer not checked" in out and fingerprint(KEY.public_key()) in out
    assert "signed" not in out.replace("signer not checked", "")


def test_with_the_trusted_key_the_verdict_says_signed(
    tmp_path: Path, pub: Path, capsys: Capture
) -> None:
    bundle = export(tmp_path / "b.zip", ledger())
    code, out, _ = blastwall(capsys, "evidence", "verify", bundle, "--key", pub)
    assert code == 0 and "signed by the given key" in out and "signer not checked" not in out
    assert f"origin {ORIGIN}/{INCIDENT}" in out


def test_a_bundle_that_extends_the_prior_verifies(
    tmp_path: Path, pub: Path, earlier: Path, capsys: Capture
) -> None:
    later = export(tmp_path / "later.zip", ledger(6), sizes=(2, 4))
    code, out, err = blastwall(
        capsys, "evidence", "verify", later, "--key", pub, "--prior", earlier
    )
    assert code == 0, err
    assert "extends the prior checkpoint (4 entries) with 2 more" in out


def test_a_truncated_ledger_resigned_is_caught_by_the_prior(
    tmp_path: Path, pub: Path, earlier: Path, capsys: Capture
) -> None:
    truncated = export(tmp_path / "t.zip", ledger(3), sizes=(2,))
    assert blastwall(capsys, "evidence", "verify", truncated, "--key", pub)[0] == 0
    code, _, err = blastwall(
        capsys, "evidence", "verify", truncated, "--key", pub, "--prior", earlier
    )
    assert code == 1
    assert "prior checkpoint signed 4 entries, this bundle holds 3: the ledger was truncated" in err


def test_a_rewritten_history_resigned_is_caught_by_the_prior(
    tmp_path: Path, pub: Path, earlier: Path, capsys: Capture
) -> None:
    forged = export(tmp_path / "f.zip", _rewritten(6), sizes=(2, 4))
    assert blastwall(capsys, "evidence", "verify", forged, "--key", pub)[0] == 0
    code, _, err = blastwall(capsys, "evidence", "verify", forged, "--key", pub, "--prior", earlier)
    assert code == 1 and "history was rewritten or forked" in err


def test_a_prior_checkpoint_note_works_like_a_prior_bundle(
    tmp_path: Path, pub: Path, earlier: Path, capsys: Capture
) -> None:
    note = tmp_path / "kept.note"
    note.write_bytes(members(earlier)["checkpoints/000002.note"])
    good = export(tmp_path / "g.zip", ledger(6), sizes=(4,))
    assert blastwall(capsys, "evidence", "verify", good, "--key", pub, "--prior", note)[0] == 0
    forged = export(tmp_path / "f.zip", _rewritten(6), sizes=(4,))
    code, _, err = blastwall(capsys, "evidence", "verify", forged, "--prior", note)
    assert code == 1 and "history was rewritten or forked" in err


def test_a_fork_under_another_origin_is_caught_by_the_prior(
    tmp_path: Path, pub: Path, earlier: Path, capsys: Capture
) -> None:
    lines = ledger(6)
    note = NoteSigner(KEY, "elsewhere.example").sign(INCIDENT, 6, merkle_root(lines))
    forked = tmp_path / "fork.zip"
    write_bundle(
        forked, INCIDENT, lines, [note], public_key_pem(KEY), render_report(INCIDENT, lines)
    )
    code, _, err = blastwall(capsys, "evidence", "verify", forked, "--key", pub, "--prior", earlier)
    assert code == 1 and "not the same ledger" in err


def test_an_unusable_prior_is_refused(
    tmp_path: Path, earlier: Path, pub: Path, capsys: Capture
) -> None:
    bundle = export(tmp_path / "b.zip", ledger())
    junk = tmp_path / "junk.note"
    junk.write_text("hello\n")
    code, _, err = blastwall(capsys, "evidence", "verify", bundle, "--prior", junk)
    assert code == 1 and "not a usable checkpoint" in err
    other = Ed25519PrivateKey.generate()
    foreign = export(tmp_path / "foreign.zip", ledger(4), sizes=(2,), key=other)
    code, _, err = blastwall(capsys, "evidence", "verify", bundle, "--key", pub, "--prior", foreign)
    assert code == 1 and "the prior bundle foreign.zip does not verify" in err


def _chat(bundle: Path) -> str:
    """What the channel shows: one line per signed checkpoint, with chat noise around it."""
    out = ["10:00 alice: containing now"]
    for name, data in sorted(members(bundle).items()):
        if name.startswith("checkpoints/"):
            lines = data.decode().split("\n")
            out.append(f"10:0{len(out)} Blastwall: checkpoint `{' '.join(lines[:3])}` signed")
    return "\n".join(out) + "\n"


def test_the_witness_log_agrees_with_an_honest_bundle(
    tmp_path: Path, pub: Path, capsys: Capture
) -> None:
    bundle = export(tmp_path / "b.zip", ledger(6), sizes=(2, 4))
    log = tmp_path / "channel.txt"
    log.write_text(_chat(bundle))
    code, out, err = blastwall(
        capsys, "evidence", "verify", bundle, "--key", pub, "--witness-log", log
    )
    assert code == 0, err
    assert "agrees with 3 checkpoint lines of the witness log" in out


@pytest.mark.parametrize(
    ("forged_lines", "reason"),
    [
        (lambda: ledger(4), "saw 6 entries, this bundle holds 4: the ledger was truncated"),
        (lambda: _rewritten(6), "saw another root for the first 2 entries: history was rewritten"),
    ],
    ids=["truncated", "rewritten"],
)
def test_the_witness_log_catches_a_resigned_forgery(
    tmp_path: Path, pub: Path, capsys: Capture, forged_lines: object, reason: str
) -> None:
    honest = export(tmp_path / "honest.zip", ledger(6), sizes=(2, 4))
    log = tmp_path / "channel.txt"
    log.write_text(_chat(honest))
    lines = forged_lines()  # type: ignore[operator]
    forged = export(tmp_path / "forged.zip", lines, sizes=(2,))
    code, _, err = blastwall(
        capsys, "evidence", "verify", forged, "--key", pub, "--witness-log", log
    )
    assert code == 1 and reason in err


def test_a_witness_log_without_this_origin_is_refused(tmp_path: Path, capsys: Capture) -> None:
    bundle = export(tmp_path / "b.zip", ledger())
    log = tmp_path / "channel.txt"
    log.write_text("nothing about checkpoints here\nother.example/INC-1 3 " + "A" * 43 + "=\n")
    code, _, err = blastwall(capsys, "evidence", "verify", bundle, "--witness-log", log)
    assert code == 1 and "holds no checkpoint of" in err


def _cosigned_bundle(path: Path, witness: Ed25519PrivateKey, corrupt: bool = False) -> Path:
    lines = ledger(6)
    signed = []
    for number, note in enumerate(_notes(lines, (3, 6)), start=1):
        body = parse_note(note).body
        line = cosign(witness, WITNESS_NAME, body, 1_795_000_000 + number)
        if corrupt:
            blob = bytearray(base64.b64decode(line.split(" ")[2]))
            blob[-1] ^= 1
            line = f"\u2014 {WITNESS_NAME} {base64.b64encode(bytes(blob)).decode()}\n"
        signed.append(note + line)
    write_bundle(path, INCIDENT, lines, signed, public_key_pem(KEY), render_report(INCIDENT, lines))
    return path


def _notes(lines: list[bytes], sizes: tuple[int, ...]) -> list[str]:
    signer = NoteSigner(KEY, ORIGIN)
    return [signer.sign(INCIDENT, s, merkle_root(lines[:s])) for s in sizes]


def test_cosignatures_from_a_given_witness_are_reported(
    tmp_path: Path, pub: Path, capsys: Capture
) -> None:
    bundle = _cosigned_bundle(tmp_path / "b.zip", WITNESS)
    code, out, _ = blastwall(capsys, "evidence", "verify", bundle, "--key", pub)
    assert code == 0 and f"also signed by {WITNESS_NAME} (not checked" in out
    vk = tmp_path / "w1.vkey"
    vk.write_text(vkey(WITNESS_NAME, WITNESS.public_key()) + "\n")
    pem = tmp_path / "w1.pem"
    pem.write_bytes(public_key_pem(WITNESS))
    for source in (vk, pem):
        code, out, err = blastwall(
            capsys, "evidence", "verify", bundle, "--key", pub, "--witness-key", source
        )
        assert code == 0, err
        assert f"witness {WITNESS_NAME} cosigned 2 of 2 checkpoints" in out
        assert "also signed by" not in out


def test_a_witness_that_did_not_cosign_is_refused(
    tmp_path: Path, pub: Path, capsys: Capture
) -> None:
    bundle = _cosigned_bundle(tmp_path / "b.zip", Ed25519PrivateKey.generate())
    vk = tmp_path / "w1.vkey"
    vk.write_text(vkey(WITNESS_NAME, WITNESS.public_key()))
    code, _, err = blastwall(capsys, "evidence", "verify", bundle, "--witness-key", vk)
    assert code == 1 and f"witness {WITNESS_NAME} cosigned no checkpoint" in err


def test_a_broken_cosignature_is_refused(tmp_path: Path, capsys: Capture) -> None:
    bundle = _cosigned_bundle(tmp_path / "b.zip", WITNESS, corrupt=True)
    vk = tmp_path / "w1.vkey"
    vk.write_text(vkey(WITNESS_NAME, WITNESS.public_key()))
    code, _, err = blastwall(capsys, "evidence", "verify", bundle, "--witness-key", vk)
    assert code == 1 and f"the cosignature by {WITNESS_NAME} does not verify" in err


def test_unusable_inputs_are_a_bad_request(tmp_path: Path, capsys: Capture) -> None:
    bundle = export(tmp_path / "b.zip", ledger())
    bad = tmp_path / "bad.vkey"
    bad.write_text("name+00000000+AAAA")
    assert blastwall(capsys, "evidence", "verify", bundle, "--witness-key", bad)[0] == 2
    missing = tmp_path / "nope.pem"
    code, _, err = blastwall(capsys, "evidence", "verify", bundle, "--key", missing)
    assert code == 2 and "cannot read" in err


def test_the_installed_command_verifies_in_its_own_process(tmp_path: Path, pub: Path) -> None:
    bundle = export(tmp_path / "b.zip", ledger())
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "evidence", "verify", str(bundle), "--key", str(pub)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    assert "verified: 6 entries, 2 checkpoints" in done.stdout


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_a_witness_verifier_key_round_trips(seed: bytes) -> None:
    """Base64 may hold '+': the vkey splits on the first two only, as Go's note does."""
    key = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    loaded = load_witness_key(vkey(WITNESS_NAME, key).encode())
    assert loaded.name == WITNESS_NAME and loaded.key.public_bytes_raw() == key.public_bytes_raw()
