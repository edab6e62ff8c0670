"""The Teams app package, and serve refusing a Teams bot it could not run."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import jsonschema
import pytest

from tests.scenarios.harness import base_env

REPO = Path(__file__).resolve().parents[3]
# Microsoft's own schema, fetched from the npm registry at test time (never kept here):
# the file below inside the published package @microsoft/app-manifest.
SCHEMA_PACKAGE = "@microsoft/app-manifest@1.1.2"
SCHEMA_FILE = "package/build/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
APP_ID = "6f1b0c3e-2a57-4d8e-9b61-0c1d2e3f4a5b"


def _blastwall(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """``npm pack`` the published package (the npm registry is reachable here and in CI)."""
    where = tmp_path_factory.mktemp("teams-schema")
    packed = subprocess.run(
        ["npm", "pack", SCHEMA_PACKAGE, "--silent", "--pack-destination", str(where)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert packed.returncode == 0, f"npm pack {SCHEMA_PACKAGE} failed: {packed.stderr}"
    (tarball,) = where.glob("*.tgz")
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(SCHEMA_FILE)
        assert member is not None
        loaded: dict[str, object] = json.load(member)
    return loaded


def test_the_shipped_manifest_follows_microsofts_schema(schema: dict[str, object]) -> None:
    manifest = json.loads((REPO / "teams-app" / "manifest.json").read_text())
    jsonschema.Draft4Validator(schema).validate(manifest)


def test_package_zips_the_app_with_the_app_id_filled_in(
    tmp_path: Path, schema: dict[str, object]
) -> None:
    out = tmp_path / "app.zip"
    done = _blastwall(
        "teams", "package", "-o", str(out), "--source", str(REPO / "teams-app"),
        cwd=tmp_path, TEAMS_APP_ID=APP_ID,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
    jsonschema.Draft4Validator(schema).validate(manifest)
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID


def test_package_refuses_something_that_is_not_an_app_id(tmp_path: Path) -> None:
    done = _blastwall("teams", "package", "--app-id", "my-bot", cwd=tmp_path)
    assert done.returncode == 2 and "not an app id" in done.stderr


def test_serve_refuses_an_app_id_without_its_password(tmp_path: Path) -> None:
    done = _blastwall(
        "serve", "--port", "9", cwd=tmp_path,
        TEAMS_APP_ID=APP_ID, BLASTWALL_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/b.db",
    )  # fmt: skip
    assert done.returncode == 2
    assert "TEAMS_APP_ID is set but TEAMS_APP_PASSWORD is not" in done.stderr
    assert "Traceback" not in done.stderr
