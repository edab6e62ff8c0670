"""The audit right, over real HTTP: without it there is no evidence page, report, export
or bundle, and nothing is recorded; an auditor's every export is itself an evidence entry
("evidence exported", by whom), and no scratch directory is left behind."""

from __future__ import annotations

import json
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

import httpx
import pytest

from bot.evidence.verify import verify_bundle
from tests.console.conftest import Served, sign_in

pytestmark = pytest.mark.db


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The served app's temporary directory, so nothing else can write there."""
    where = tmp_path / "scratch"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def _entries(bundle: bytes) -> list[dict[str, object]]:
    with zipfile.ZipFile(BytesIO(bundle)) as archive:
        return [json.loads(line) for line in archive.read("entries.jsonl").splitlines()]


async def _ledger_size(served: Served) -> int:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
        await sign_in(web, served.database_url, "bob")
        live = await web.get(f"/console/incidents/{served.incident}/live")
    return int(live.json()["entries"])


async def test_without_the_audit_right_no_evidence_leaves(served: Served, scratch: Path) -> None:
    before = await _ledger_size(served)
    evidence = f"/console/incidents/{served.incident}/evidence"
    for name in ("carol", "admin"):
        async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
            csrf = await sign_in(web, served.database_url, name)
            room = await web.get(f"/console/incidents/{served.incident}")
            assert room.status_code == 200 and evidence not in room.text
            answers = [
                await web.get(evidence),
                await web.post(f"{evidence}/export", data={"csrf": csrf}),
                await web.post(f"{evidence}/bundle.zip", data={"csrf": csrf}),
            ]
        for answer in answers:
            assert answer.status_code == 403, (name, answer.status_code, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html")
            assert "<h1>Not allowed</h1>" in answer.text and "audit right" in answer.text
            assert "entries.jsonl" not in answer.text
    assert await _ledger_size(served) == before
    assert list(scratch.iterdir()) == []


async def test_an_auditors_export_is_recorded_and_verifies(
    served: Served, scratch: Path, tmp_path: Path
) -> None:
    before = await _ledger_size(served)
    evidence = f"/console/incidents/{served.incident}/evidence"
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
        csrf = await sign_in(web, served.database_url, "alice")
        room = await web.get(f"/console/incidents/{served.incident}")
        assert evidence in room.text
        forged = await web.post(f"{evidence}/bundle.zip", data={"csrf": "forged"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        bundle = await web.post(f"{evidence}/bundle.zip", data={"csrf": csrf})
        exported = await web.post(f"{evidence}/export", data={"csrf": csrf})
        page = await web.get(evidence)
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "application/zip"
    assert f'filename="{served.incident}.zip"' in bundle.headers["content-disposition"]
    entries = _entries(bundle.content)
    assert len(entries) == before + 1
    last = entries[-1]
    assert last["what"] == "evidence exported" and last["right"] == "audit"
    assert last["who"] == {"platform": "console", "user_id": "alice", "display": "console:alice"}
    (tmp_path / "bundle.zip").write_bytes(bundle.content)
    assert verify_bundle(tmp_path / "bundle.zip").ok
    assert exported.status_code == 303
    assert page.status_code == 200 and 'id="verdict" class="ok"' in page.text
    assert "Verified" in page.text and f"{before + 2} entries" in page.text
    assert await _ledger_size(served) == before + 2
    assert list(scratch.iterdir()) == []
