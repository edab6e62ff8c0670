"""Building real bundles (through write_bundle) and tampering with them like an insider would."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.cli import main
from bot.core.actors import Actor
from bot.core.evidence import EvidenceRecord, What
from bot.core.merkle import merkle_root
from bot.evidence.bundle import CHECKPOINT_DIR, ENTRIES, MANIFEST, PROOF_DIR, REPORT, write_bundle
from bot.evidence.canonical import canonical
from bot.evidence.chain import GENESIS, seal
from bot.evidence.notes import NoteSigner
from bot.evidence.report import render_report
from bot.evidence.signing import public_key_pem

INCIDENT = "INC-20261122-0001"
ORIGIN = "blastwall.example.com"
KEY = Ed25519PrivateKey.generate()

Change = Callable[[dict[str, bytes]], object]


def ledger(count: int = 6, incident: str = INCIDENT, what: str = "step") -> list[bytes]:
    lines, previous = [], GENESIS
    for n in range(1, count + 1):
        record = EvidenceRecord(
            incident,
            cast(What, f"{what} {n}"),  # any label: the chain does not read it
            Actor("slack", f"U{n}"),
            datetime(2026, 11, 22, 9, n, tzinfo=UTC),
            why="because | <b>",
        )
        sealed = seal(record.as_body(), n, previous)
        lines.append(sealed.line)
        previous = sealed.hash
    return lines


def notes(lines: Sequence[bytes], sizes: Sequence[int], key: Ed25519PrivateKey = KEY) -> list[str]:
    signer = NoteSigner(key, ORIGIN)
    return [signer.sign(INCIDENT, s, merkle_root(lines[:s])) for s in sizes]


def export(
    path: Path,
    lines: list[bytes],
    sizes: tuple[int, ...] = (3,),
    key: Ed25519PrivateKey = KEY,
) -> Path:
    signed = notes(lines, [*sizes, len(lines)], key)
    write_bundle(path, INCIDENT, lines, signed, public_key_pem(key), render_report(INCIDENT, lines))
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def repack(
    files: dict[str, bytes], dest: Path, fix_manifest: bool = True, fix_report: bool = True
) -> Path:
    """Write ``files`` as a zip; with ``fix_manifest``, make the manifest (and report) agree."""
    if fix_manifest:
        lines = files[ENTRIES].split(b"\n")[:-1]
        if fix_report:
            files[REPORT] = render_report(INCIDENT, lines).encode()
        manifest = json.loads(files[MANIFEST])
        manifest["entries"] = len(lines)
        manifest["checkpoints"] = sum(n.startswith(CHECKPOINT_DIR) for n in files)
        manifest["proofs"] = sum(n.startswith(PROOF_DIR) for n in files)
        manifest["files"] = {
            n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != MANIFEST
        }
        files[MANIFEST] = canonical(manifest)
    with zipfile.ZipFile(dest, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return dest


def rewrite(
    src: Path, dest: Path, change: Change, fix_manifest: bool = True, fix_report: bool = True
) -> Path:
    files = members(src)
    change(files)
    return repack(files, dest, fix_manifest, fix_report)


def entries(change: Callable[[list[bytes]], list[bytes]]) -> Change:
    def apply(files: dict[str, bytes]) -> None:
        lines = files[ENTRIES].split(b"\n")[:-1]
        files[ENTRIES] = b"".join(line + b"\n" for line in change(lines))

    return apply


def blastwall(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """The CLI in-process: exit code, stdout, stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err
