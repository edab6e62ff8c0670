"""``BLASTWALL_LOG_FORMAT=json``: every line ``blastwall serve`` writes is one JSON
object; lines written while handling an incident name it; secrets are still
redacted (the filter runs before the formatter)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx

from bot.adapters.logs.json_lines import JsonLines
from bot.core.log_context import bind_incident
from bot.secrets import build_redactor
from bot.secrets.logs import install_redaction
from tests.fakes.servers import free_port
from tests.scenarios.harness import Blastwall, base_env, eventually

TOKEN = "intake-token-for-json-logs"
LEAKED = "ghp_" + "Z" * 36  # a GitHub token, by its shape


def _serve(tmp_path: Path, **extra: str) -> Blastwall:
    url = f"sqlite:///{tmp_path / 'blastwall.db'}"
    settings = {"BLASTWALL_LOG_FORMAT": "json", **extra}
    env = base_env(
        BLASTWALL_DATABASE_URL=url,
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_INTAKE_TOKEN=TOKEN,
        **settings,
    )
    return Blastwall(tmp_path, env, f"http://127.0.0.1:{free_port()}", None, "", TOKEN, url)


def _lines(blastwall: Blastwall) -> list[dict[str, object]]:
    text = blastwall.log.read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def test_serve_writes_json_lines_naming_the_incident(tmp_path: Path) -> None:
    blastwall = _serve(tmp_path)
    blastwall.start()
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": f"token {LEAKED} pushed",
        "identity": {"system": "aws", "kind": "access_key", "id": "AKIAJSONLOGSEXAMPLE1"},
    }
    try:
        async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
            accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
            incident_id = accepted.json()["incident"]
            await eventually(
                lambda: [line for line in _lines(blastwall) if line["incident"] == incident_id]
            )
    finally:
        blastwall.stop()
    written = blastwall.log.read_text()
    structured = [line for line in written.splitlines() if line.startswith("{")]
    assert structured, written
    assert all(not line.startswith("20") for line in written.splitlines())  # no text-format line
    assert LEAKED not in written
    records = _lines(blastwall)
    assert {"time", "level", "logger", "message", "incident"} <= set(records[0])
    assert any(r["logger"] == "uvicorn.access" for r in records)


def test_a_bad_log_format_is_a_one_line_error(tmp_path: Path) -> None:
    blastwall = _serve(tmp_path, BLASTWALL_LOG_FORMAT="yaml")
    done = blastwall.cli("--version")
    assert done.returncode == 0  # --version answers before logging is set up
    done = blastwall.cli("db", "upgrade")
    assert done.returncode == 2
    assert (
        done.stderr
        == "blastwall: configuration error: BLASTWALL_LOG_FORMAT=yaml: give text or json\n"
    )


def test_redaction_still_applies_to_json_lines() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("blastwall.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    install_redaction(build_redactor(b"test-redaction-key-32-bytes-long"), logger)
    try:

        class Command:
            incident_id = "INC-20260101-0007"

        bind_incident(Command())
        try:
            raise RuntimeError(f"vendor said {LEAKED}")
        except RuntimeError:
            logger.exception("saw %s", LEAKED)
    finally:
        logger.removeHandler(handler)
    (line,) = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["incident"] == "INC-20260101-0007"
    assert LEAKED not in line and "saw " in str(record["message"])
    assert "RuntimeError" in str(record["exception"])
