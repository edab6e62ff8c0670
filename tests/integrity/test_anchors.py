"""Witnesses outside Blastwall (issue 9, section 3): RFC 3161 timestamps from a
TSA, and every signed head posted into the incident's channel."""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.actors import Actor
from bot.core.commands import ChangeStatus
from bot.core.incidents import Status
from tests.fakes.tsa import TimeStampAuthority
from tests.integrity.conftest import ORIGIN, Deployment, TsaSwitch, deploy

pytestmark = pytest.mark.db


@pytest.fixture
async def stamped(
    tmp_path: Path, database_url: str, tsa: tuple[TsaSwitch, str]
) -> AsyncIterator[tuple[Deployment, TsaSwitch]]:
    switch, url = tsa
    deployed = await deploy(tmp_path, database_url, url)
    (tmp_path / "tsa-root.pem").write_bytes(switch.authority.ca_pem)
    try:
        yield deployed, switch
    finally:
        await deployed.database.dispose()


async def _notes(deployment: Deployment, incident: str) -> list[str]:
    async with deployment.database.uow() as uow:
        return [note for _, note in await uow.incidents.checkpoints(incident)]


async def _anchors(deployment: Deployment, incident: str) -> list[tuple[int, str]]:
    async with deployment.database.uow() as uow:
        return [(a.size, a.kind) for a in await uow.anchors.of(incident)]


async def test_checkpoints_are_timestamped_and_verify_against_the_tsa_root(
    stamped: tuple[Deployment, TsaSwitch], tmp_path: Path
) -> None:
    deployment, switch = stamped
    incident = await deployment.declare()
    await deployment.anchoring.run()
    assert switch.authority.issued == 1

    assert deployment.cli("evidence", "export", incident, "-o", "b.zip").returncode == 0
    with zipfile.ZipFile(tmp_path / "b.zip") as bundle:
        assert "timestamps/000001.tsr" in bundle.namelist()
    verified = deployment.cli("evidence", "verify", "b.zip", "--tsa-cert", "tsa-root.pem")
    assert verified.returncode == 0, verified.stderr
    assert "1 of 1 checkpoints timestamped by the TSA" in verified.stdout

    (tmp_path / "other-root.pem").write_bytes(TimeStampAuthority().ca_pem)
    stranger = deployment.cli("evidence", "verify", "b.zip", "--tsa-cert", "other-root.pem")
    assert stranger.returncode == 1
    assert "timestamps/000001.tsr does not timestamp" in stranger.stderr


async def test_a_token_over_another_note_is_refused(
    stamped: tuple[Deployment, TsaSwitch], tmp_path: Path
) -> None:
    deployment, switch = stamped
    incident = await deployment.declare()
    await deployment.anchoring.run()
    assert deployment.cli("evidence", "export", incident, "-o", "b.zip").returncode == 0
    other = switch.authority.respond_to_note(b"another note\n")
    _swap_member(tmp_path / "b.zip", tmp_path / "swapped.zip", "timestamps/000001.tsr", other)

    result = deployment.cli("evidence", "verify", "swapped.zip", "--tsa-cert", "tsa-root.pem")
    assert result.returncode == 1 and "Mismatch between messages" in result.stderr


async def test_a_tsa_outage_never_blocks_and_the_gap_is_filled_later(
    stamped: tuple[Deployment, TsaSwitch], tmp_path: Path
) -> None:
    deployment, switch = stamped
    switch.down = True
    incident = await deployment.declare()
    await deployment.anchoring.run()

    assert len(await _notes(deployment, incident)) == 1  # signed all the same
    assert sorted(k for _, k in await _anchors(deployment, incident)) == ["tsa_gap", "witness"]
    exported = deployment.cli("evidence", "export", incident, "-o", "gap.zip")
    assert exported.returncode == 0 and "0 timestamped" in exported.stdout
    unstamped = deployment.cli("evidence", "verify", "gap.zip", "--tsa-cert", "tsa-root.pem")
    assert unstamped.returncode == 1 and "no checkpoint carries" in unstamped.stderr
    await deployment.anchoring.run()  # still down: one gap on record, not one per pass
    assert sorted(k for _, k in await _anchors(deployment, incident)) == ["tsa_gap", "witness"]

    switch.down = False
    await deployment.anchoring.run()
    assert [k for _, k in await _anchors(deployment, incident)][-1] == "rfc3161"
    assert deployment.cli("evidence", "export", incident, "-o", "late.zip").returncode == 0
    late = deployment.cli("evidence", "verify", "late.zip", "--tsa-cert", "tsa-root.pem")
    assert late.returncode == 0, late.stderr


async def test_each_signed_head_is_posted_into_the_channel_once(deployment: Deployment) -> None:
    incident = await deployment.declare()
    await deployment.anchoring.run()
    mallory = Actor.parse("console:mallory")
    await deployment.bus.handle(ChangeStatus(mallory, Status.CLOSED, incident_id=incident))
    await deployment.anchoring.run()
    await deployment.anchoring.run()

    notes = await _notes(deployment, incident)
    assert len(notes) == 2
    posted = [t for t in deployment.said(incident) if t.startswith(f"{ORIGIN}/")]
    assert posted == [" ".join(note.splitlines()[:3]) for note in notes]
    origin, size, root = posted[-1].split(" ")
    assert origin == f"{ORIGIN}/{incident}" and int(size) == 4 and len(root) == 44


def _swap_member(source: Path, dest: Path, name: str, data: bytes) -> None:
    """Replace one member and its manifest hash, as a forger would."""
    import hashlib
    import json

    with zipfile.ZipFile(source) as zin:
        files = {n: zin.read(n) for n in zin.namelist()}
    files[name] = data
    manifest = json.loads(files["manifest.json"])
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    files["manifest.json"] = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    with zipfile.ZipFile(dest, "w") as zout:
        for n, d in files.items():
            zout.writestr(n, d)
