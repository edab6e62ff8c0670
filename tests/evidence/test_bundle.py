"""Export a real ledger, verify it, and catch every kind of tampering."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.core.actors import Actor
from bot.core.evidence import EvidenceRecord
from bot.core.merkle import merkle_root
from bot.evidence.bundle import ENTRIES, MANIFEST, write_bundle
from bot.evidence.canonical import canonical
from bot.evidence.chain import GENESIS, entry_hash, seal
from bot.evidence.notes import NoteSigner
from bot.evidence.report import render_report
from bot.evidence.signing import public_key_pem
from bot.evidence.verify import verify_bundle

INCIDENT = "INC-20261122-0001"
KEY = Ed25519PrivateKey.generate()


def _ledger(count: int = 6) -> list[bytes]:
    lines, previous = [], GENESIS
    for n in range(1, count + 1):
        record = EvidenceRecord(
            INCIDENT,
            f"step {n}",
            Actor("slack", f"U{n}"),
            datetime(2026, 11, 22, 9, n, tzinfo=UTC),
            why="because | <b>",
        )
        sealed = seal(record.as_body(), n, previous)
        lines.append(sealed.line)
        previous = sealed.hash
    return lines


def _export(path: Path, lines: list[bytes], sizes: tuple[int, ...] = (3,)) -> Path:
    signer = NoteSigner(KEY)
    notes = [signer.sign(INCIDENT, s, merkle_root(lines[:s])) for s in (*sizes, len(lines))]
    write_bundle(path, INCIDENT, lines, notes, public_key_pem(KEY), render_report(INCIDENT, lines))
    return path


def _rewrite(
    src: Path, dest: Path, change: Callable[[dict[str, bytes]], None], fix_manifest: bool = True
) -> Path:
    with zipfile.ZipFile(src) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    change(files)
    if fix_manifest:
        manifest = json.loads(files[MANIFEST])
        import hashlib

        manifest["files"] = {
            n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != MANIFEST
        }
        files[MANIFEST] = canonical(manifest)
    with zipfile.ZipFile(dest, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return dest


def _entries(change: Callable[[list[bytes]], list[bytes]]) -> Callable[[dict[str, bytes]], None]:
    def apply(files: dict[str, bytes]) -> None:
        lines = files[ENTRIES].split(b"\n")[:-1]
        files[ENTRIES] = b"".join(line + b"\n" for line in change(lines))

    return apply


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return _export(tmp_path / "bundle.zip", _ledger())


def test_an_intact_bundle_verifies(bundle: Path) -> None:
    verdict = verify_bundle(bundle)
    assert verdict.ok, verdict.reason
    assert (verdict.entries, verdict.checkpoints) == (6, 2)
    assert verify_bundle(bundle, KEY.public_key()).ok


def test_export_is_deterministic(tmp_path: Path) -> None:
    lines = _ledger()
    assert (
        _export(tmp_path / "a.zip", lines).read_bytes()
        == _export(tmp_path / "b.zip", lines).read_bytes()
    )


def test_the_manifest_catches_a_changed_byte(bundle: Path, tmp_path: Path) -> None:
    changed = _rewrite(
        bundle,
        tmp_path / "t.zip",
        _entries(lambda ls: [ls[0].replace(b"step 1", b"step 9"), *ls[1:]]),
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
    verdict = verify_bundle(_rewrite(bundle, tmp_path / "t.zip", _entries(change)))
    assert not verdict.ok
    assert reason in verdict.reason


def test_a_forged_checkpoint_fails(bundle: Path, tmp_path: Path) -> None:
    def forge(files: dict[str, bytes]) -> None:
        name = sorted(n for n in files if n.startswith("checkpoints/"))[-1]
        files[name] = files[name].replace(b"\n6\n", b"\n7\n")

    verdict = verify_bundle(_rewrite(bundle, tmp_path / "t.zip", forge))
    assert not verdict.ok and "signature does not verify" in verdict.reason


def test_a_checkpoint_signed_by_another_key_fails(bundle: Path, tmp_path: Path) -> None:
    other = Ed25519PrivateKey.generate()

    def resign(files: dict[str, bytes]) -> None:
        lines = files[ENTRIES].split(b"\n")[:-1]
        files["checkpoints/000002.note"] = (
            NoteSigner(other).sign(INCIDENT, len(lines), merkle_root(lines)).encode()
        )

    verdict = verify_bundle(_rewrite(bundle, tmp_path / "t.zip", resign))
    assert not verdict.ok and "key id mismatch" in verdict.reason


def test_the_wrong_trusted_key_fails(bundle: Path) -> None:
    verdict = verify_bundle(bundle, Ed25519PrivateKey.generate().public_key())
    assert not verdict.ok and "key id mismatch" in verdict.reason


def test_an_added_file_and_a_missing_file_fail(bundle: Path, tmp_path: Path) -> None:
    added = _rewrite(
        bundle, tmp_path / "a.zip", lambda f: f.__setitem__("extra.txt", b"x"), fix_manifest=False
    )
    assert "not in the manifest" in verify_bundle(added).reason
    missing = _rewrite(bundle, tmp_path / "m.zip", lambda f: f.pop("report.md"), fix_manifest=False)
    assert "report.md is missing" in verify_bundle(missing).reason


def test_unsigned_tail_fails(tmp_path: Path) -> None:
    lines = _ledger()
    bundle = _export(tmp_path / "b.zip", lines)
    extra = _ledger(7)[-1]
    verdict = verify_bundle(_rewrite(bundle, tmp_path / "t.zip", _entries(lambda ls: [*ls, extra])))
    assert not verdict.ok and "not covered by any signed checkpoint" in verdict.reason


def test_not_a_zip(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert not verify_bundle(junk).ok


def test_writer_refuses_an_unsigned_tail(tmp_path: Path) -> None:
    lines = _ledger()
    note = NoteSigner(KEY).sign(INCIDENT, 3, merkle_root(lines[:3]))
    with pytest.raises(ValueError, match="covers 3 of 6"):
        write_bundle(tmp_path / "x.zip", INCIDENT, lines, [note], public_key_pem(KEY), "")


def test_report_escapes_table_cells() -> None:
    report = render_report(INCIDENT, _ledger(1))
    assert "because \\| &lt;b&gt;" in report
