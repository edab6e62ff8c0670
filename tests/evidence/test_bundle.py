"""Export a real ledger, verify it, and catch every kind of tampering."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.core.merkle import merkle_root
from bot.evidence.bundle import ENTRIES, write_bundle
from bot.evidence.canonical import canonical
from bot.evidence.chain import GENESIS, entry_hash, seal
from bot.evidence.notes import NoteSigner
from bot.evidence.report import render_report
from bot.evidence.signing import public_key_pem
from bot.evidence.verify import verify_bundle
from tests.evidence.bundles import INCIDENT, KEY, ORIGIN, entries, export, ledger, rewrite


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return export(tmp_path / "bundle.zip", ledger())


def test_an_intact_bundle_verifies(bundle: Path) -> None:
    verdict = verify_bundle(bundle)
    assert verdict.ok, verdict.reason
    assert (verdict.entries, verdict.checkpoints) == (6, 2)
    assert verify_bundle(bundle, KEY.public_key()).ok


def test_export_is_deterministic(tmp_path: Path) -> None:
    lines = ledger()
    assert (
        export(tmp_path / "a.zip", lines).read_bytes()
        == export(tmp_path / "b.zip", lines).read_bytes()
    )


def test_the_manifest_catches_a_changed_byte(bundle: Path, tmp_path: Path) -> None:
    changed = rewrite(
        bundle,
        tmp_path / "t.zip",
        entries(lambda ls: [ls[0].replace(b"step 1", b"step 9"), *ls[1:]]),
        fix_manifest=False,
    )
    verdict = verify_bundle(changed)
    assert not verdict.ok and "entries.jsonl was changed after export" in verdict.reason


def _swap(lines: list[bytes]) -> list[bytes]:
    return [lines[0], lines[2], lines[1], *lines[3:]]


def _inserted(lines: list[bytes]) -> list[bytes]:
    forged = json.loads(lines[2])
    forged["what"] = "forged"
    del forged["hash"]
    forged["hash"] = entry_hash(forged)
    return [*lines[:3], canonical(forged), *lines[3:]]


def _rechained(lines: list[bytes]) -> list[bytes]:
    """Rewrite entry 2 and re-hash the whole chain after it: only the signed root can tell."""
    out, previous = [], GENESIS
    for line in lines:
        entry = json.loads(line)
        entry.pop("hash")
        if entry["seq"] == 2:
            entry["what"] = "nothing happened"
        entry["prev_hash"] = previous
        sealed = seal(
            {k: v for k, v in entry.items() if k not in ("seq", "prev_hash")},
            entry["seq"],
            previous,
        )
        out.append(sealed.line)
        previous = sealed.hash
    return out


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda ls: [ls[0].replace(b"step 1", b"step 9"), *ls[1:]], "entry 1 was changed"),
        (lambda ls: [ls[0], *ls[2:]], "entry 2 is missing"),
        (_swap, "entries were reordered"),
        (_inserted, "appears at position 4"),
        (lambda ls: ls[:4], "the ledger was truncated"),
        (_rechained, "history was rewritten"),
    ],
    ids=["changed-byte", "dropped", "reordered", "inserted", "truncated", "rechained"],
)
def test_tampered_entries_fail(
    bundle: Path, tmp_path: Path, change: Callable[[list[bytes]], list[bytes]], reason: str
) -> None:
    verdict = verify_bundle(rewrite(bundle, tmp_path / "t.zip", entries(change)))
    assert not verdict.ok
    assert reason in verdict.reason


def test_a_forged_checkpoint_fails(bundle: Path, tmp_path: Path) -> None:
    def forge(files: dict[str, bytes]) -> None:
        name = sorted(n for n in files if n.startswith("checkpoints/"))[-1]
        files[name] = files[name].replace(b"\n6\n", b"\n7\n")

    verdict = verify_bundle(rewrite(bundle, tmp_path / "t.zip", forge))
    assert not verdict.ok and "signature does not verify" in verdict.reason


def test_a_checkpoint_signed_by_another_key_fails(bundle: Path, tmp_path: Path) -> None:
    other = Ed25519PrivateKey.generate()

    def resign(files: dict[str, bytes]) -> None:
        lines = files[ENTRIES].split(b"\n")[:-1]
        files["checkpoints/000002.note"] = (
            NoteSigner(other, ORIGIN).sign(INCIDENT, len(lines), merkle_root(lines)).encode()
        )

    verdict = verify_bundle(rewrite(bundle, tmp_path / "t.zip", resign))
    assert not verdict.ok and "key id mismatch" in verdict.reason


def test_the_wrong_trusted_key_fails(bundle: Path) -> None:
    verdict = verify_bundle(bundle, Ed25519PrivateKey.generate().public_key())
    assert not verdict.ok and "key id mismatch" in verdict.reason


def test_an_added_file_and_a_missing_file_fail(bundle: Path, tmp_path: Path) -> None:
    added = rewrite(
        bundle,
        tmp_path / "a.zip",
        lambda f: f.__setitem__("timestamps/000001.tsr", b"x"),
        fix_manifest=False,
    )
    assert "not in the manifest" in verify_bundle(added).reason
    alien = rewrite(
        bundle, tmp_path / "x.zip", lambda f: f.__setitem__("extra.txt", b"x"), fix_manifest=False
    )
    assert "'extra.txt' does not belong in a bundle" in verify_bundle(alien).reason
    missing = rewrite(bundle, tmp_path / "m.zip", lambda f: f.pop("report.md"), fix_manifest=False)
    assert "report.md is missing" in verify_bundle(missing).reason


def test_unsigned_tail_fails(tmp_path: Path) -> None:
    lines = ledger()
    bundle = export(tmp_path / "b.zip", lines)
    extra = ledger(7)[-1]
    verdict = verify_bundle(rewrite(bundle, tmp_path / "t.zip", entries(lambda ls: [*ls, extra])))
    assert not verdict.ok and "not covered by any signed checkpoint" in verdict.reason


def test_not_a_zip(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert not verify_bundle(junk).ok


def test_writer_refuses_an_unsigned_tail(tmp_path: Path) -> None:
    lines = ledger()
    note = NoteSigner(KEY, ORIGIN).sign(INCIDENT, 3, merkle_root(lines[:3]))
    with pytest.raises(ValueError, match="covers 3 of 6"):
        write_bundle(tmp_path / "x.zip", INCIDENT, lines, [note], public_key_pem(KEY), "")


def test_report_escapes_table_cells() -> None:
    report = render_report(INCIDENT, ledger(1))
    assert "because \\| &lt;b&gt;" in report
