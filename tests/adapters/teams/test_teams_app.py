"""The Teams app package, and serve refusing a Teams bot it could not run."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema

from tests.scenarios.harness import base_env

REPO = Path(__file__).resolve().parents[3]
# Microsoft's own schema, from npm @microsoft/app-manifest (see SCHEMA-SOURCE.md).
SCHEMA = json.loads((Path(__file__).parent / "MicrosoftTeams.v1.17.schema.json").read_text())
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


def test_the_shipped_manifest_follows_microsofts_schema() -> None:
    manifest = json.loads((REPO / "teams-app" / "manifest.json").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(manifest)


def test_package_zips_the_app_with_the_app_id_filled_in(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    done = _blastwall(
        "teams", "package", "-o", str(out), "--source", str(REPO / "teams-app"),
        cwd=tmp_path, TEAMS_APP_ID=APP_ID,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
    jsonschema.Draft4Validator(SCHEMA).validate(manifest)
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
