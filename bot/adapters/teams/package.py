"""The Teams app package: ``teams-app/`` zipped with this bot's app id filled in."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
FILES = ("manifest.json", "color.png", "outline.png")


def build_package(source: Path, app_id: str, out: Path) -> Path:
    """Zip the manifest (``id`` and the bot id set to ``app_id``) with its two icons."""
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest["id"] = app_id
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id
    manifest.setdefault("webApplicationInfo", {})["id"] = app_id
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
        for name in FILES[1:]:
            archive.write(source / name, name)
    return out
