"""``blastwall evidence export`` only reads; ``evidence public-key`` gives the key to pin."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.core.actors import Actor
from bot.core.commands import ChangeStatus
from bot.core.incidents import Status
from bot.evidence.bundle import MANIFEST
from bot.evidence.signing import load_or_create_signing_key
from tests.integrity.conftest import ORIGIN, Deployment
from tests.scenarios.harness import base_env

pytestmark = pytest.mark.db


def _blastwall(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_in_an_empty_directory_fails_and_creates_nothing(tmp_path: Path) -> None:
    result = _blastwall(tmp_path, "evidence", "export", "INC-20261122-0001", "-o", "b.zip")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no signing key" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_with_a_key_but_no_database_creates_no_database(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path / "blastwall-signing-key.pem")
    result = _blastwall(tmp_path, "evidence", "export", "INC-20261122-0001", "-o", "b.zip")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no database at" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["blastwall-signing-key.pem"]


def test_public_key_is_printed_for_nobody_when_there_is_none(tmp_path: Path) -> None:
    result = _blastwall(tmp_path, "evidence", "public-key")
    assert result.returncode == 2 and result.stdout == ""
    assert list(tmp_path.iterdir()) == []


async def test_export_reads_what_was_signed_and_public_key_verifies_it(
    deployment: Deployment, tmp_path: Path
) -> None:
    incident = await deployment.declare()
    unsigned = deployment.cli("evidence", "export", incident, "-o", "early.zip")
    assert unsigned.returncode == 2 and "no signed checkpoint" in unsigned.stderr
    assert not (tmp_path / "early.zip").exists()

    await deployment.anchoring.run()  # what the running service does every few seconds
    exported = deployment.cli("evidence", "export", incident, "-o", "bundle.zip")
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(tmp_path / "bundle.zip") as bundle:
        note = bundle.read("checkpoints/000001.note").decode()
        assert MANIFEST in bundle.namelist()
    assert note.startswith(f"{ORIGIN}/{incident}\n") and f"\n— {ORIGIN}/{incident} " in note

    public = deployment.cli("evidence", "public-key")
    assert public.returncode == 0 and public.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert public.stderr.startswith("fingerprint SHA256:")
    (tmp_path / "public-key.pem").write_text(public.stdout)
    verified = deployment.cli("evidence", "verify", "bundle.zip", "--key", "public-key.pem")
    assert verified.returncode == 0, verified.stderr

    before = sorted(p.name for p in tmp_path.iterdir())
    wrong = deployment.cli("evidence", "export", "INC-20261122-0999", "-o", "x.zip")
    assert wrong.returncode == 2 and "no incident INC-20261122-0999" in wrong.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


async def test_export_says_when_newer_entries_are_not_signed_yet(
    deployment: Deployment, tmp_path: Path
) -> None:
    incident = await deployment.declare()
    await deployment.anchoring.run()
    refused = ChangeStatus(Actor.parse("console:mallory"), Status.CLOSED, incident_id=incident)
    await deployment.bus.handle(refused)  # recorded as a refusal; not signed yet

    exported = deployment.cli("evidence", "export", incident, "-o", "b.zip")
    assert exported.returncode == 0, exported.stderr
    assert "1 newer entries are not signed yet" in exported.stderr
    verified = deployment.cli("evidence", "verify", "b.zip")
    assert verified.returncode == 0, verified.stderr
