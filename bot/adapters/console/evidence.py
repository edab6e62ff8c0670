"""The console's evidence pages: the report and the post-incident review as HTML, the
signing key's fingerprint, export-and-verify, and the bundle, CSV and OCSF downloads.

Only holders of the incident's ``audit`` right see any of it. Every download is an
``ExportEvidence`` command on the bus: the handler checks the right, records
"evidence exported" (who, when) and signs a checkpoint over it; only then is the
ledger read, up to that checkpoint, so what is taken carries its own export record.
The zip is assembled in a temporary directory that is always removed. CSV and OCSF
are reading copies (``bot.evidence.csv_export``/``ocsf_export``), redacted again on
the way out; the bundle is the evidence.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from bot.adapters.console.auth import ConsoleUser, csrf_ok
from bot.adapters.console.pages import page, signed_in_user
from bot.core.commands import ExportEvidence
from bot.core.events import EvidenceExported, Refused, TurnedAway
from bot.evidence.bundle import write_bundle
from bot.evidence.csv_export import entries_csv
from bot.evidence.ocsf_export import entries_ocsf
from bot.evidence.report import render_report
from bot.evidence.review_check import ReviewMismatch, review_for_bundle
from bot.evidence.review_render import REVIEW_HTML, REVIEW_MD
from bot.evidence.signing import fingerprint, load_public_key
from bot.evidence.verify import Verdict, verify_bundle
from bot.service.audit import NO_RIGHT, may_audit, signed_ledger

if TYPE_CHECKING:
    from bot.adapters.console.routes import Console

BAD_CSRF = "missing or wrong CSRF token: nothing was changed"
_BODY = re.compile(r"<body>(.*)</body>", re.S)
READING_COPIES = {
    "csv": ("entries.csv", "text/csv; charset=utf-8"),
    "ocsf": ("entries.ocsf.json", "application/json"),
}


async def _auditor(request: Request, console: Console, incident_id: str) -> ConsoleUser:
    me = signed_in_user(request)
    allowed = await may_audit(console.services, incident_id, me.actor)
    if allowed is None:
        raise HTTPException(404, f"no incident {incident_id}")
    if not allowed:
        raise HTTPException(403, NO_RIGHT)
    return me


async def _export(request: Request, console: Console, incident_id: str, csrf: str) -> int:
    """Record the export through the bus; returns the signed size the export covers."""
    me = await _auditor(request, console, incident_id)
    if not csrf_ok(request, console.directory, csrf):
        raise HTTPException(403, BAD_CSRF)
    for event in await console.bus.handle(ExportEvidence(incident_id, me.actor)):
        if isinstance(event, EvidenceExported):
            return event.entries
        if isinstance(event, Refused | TurnedAway):
            raise HTTPException(403, event.reason)
    raise HTTPException(404, f"no incident {incident_id}")


def _review(incident_id: str, lines: list[bytes]) -> dict[str, bytes]:
    try:
        return review_for_bundle(incident_id, lines)
    except ReviewMismatch as exc:
        raise HTTPException(409, f"the post-incident review cannot be rebuilt: {exc}") from exc


def review_section(files: dict[str, bytes]) -> Markup | None:
    """The review's body, shown inside the console page (its own inline style is left
    out: the console's stylesheet dresses it, and the page allows no inline style).
    It is Blastwall's own autoescaped rendering of the ledger, so it is markup already."""
    found = _BODY.search(files.get(REVIEW_HTML, b"").decode("utf-8"))
    return Markup(found.group(1)) if found else None  # noqa: S704 (escaped by review_render)


async def _bundle(console: Console, incident_id: str, size: int) -> tuple[bytes, Verdict]:
    lines, notes = await signed_ledger(console.services, incident_id, size)
    report = render_report(incident_id, lines)
    review = _review(incident_id, lines)
    with tempfile.TemporaryDirectory(prefix="blastwall-export-") as scratch:
        path = Path(scratch) / f"{incident_id}.zip"
        write_bundle(
            path, incident_id, lines, notes, console.public_pem, report, extra_files=review
        )
        return path.read_bytes(), verify_bundle(path)


def _attachment(data: bytes | str, name: str, media_type: str) -> Response:
    disposition = f'attachment; filename="{name}"'
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


def add_evidence_routes(router: APIRouter, console: Console) -> None:
    key_fingerprint = fingerprint(load_public_key(console.public_pem))

    @router.get("/incidents/{incident_id}/evidence")
    async def evidence(request: Request, incident_id: str) -> HTMLResponse:
        me = await _auditor(request, console, incident_id)
        lines, notes = await signed_ledger(console.services, incident_id)
        return page(
            request,
            console.directory,
            "evidence.html",
            incident_id=incident_id,
            user=me,
            entries=[json.loads(line) for line in lines],
            checkpoints=len(notes),
            review=review_section(_review(incident_id, lines)),
            fingerprint=key_fingerprint,
            verdict=request.session.pop("verdict", None),
        )

    @router.get("/incidents/{incident_id}/evidence/{name}")
    async def review_file(request: Request, incident_id: str, name: str) -> Response:
        await _auditor(request, console, incident_id)
        lines, _ = await signed_ledger(console.services, incident_id)
        files = _review(incident_id, lines)
        if name not in (REVIEW_MD, REVIEW_HTML) or name not in files:
            raise HTTPException(404, "no post-incident review yet: it is written at resolve")
        media = "text/markdown; charset=utf-8" if name == REVIEW_MD else "text/html"
        return _attachment(files[name], f"{incident_id}-{name}", media)

    @router.post("/incidents/{incident_id}/evidence/export")
    async def export(request: Request, incident_id: str, csrf: str = Form("")) -> Response:
        size = await _export(request, console, incident_id, csrf)
        _, verdict = await _bundle(console, incident_id, size)
        request.session["verdict"] = {
            "ok": verdict.ok,
            "reason": verdict.reason,
            "entries": verdict.entries,
            "checkpoints": verdict.checkpoints,
        }
        return RedirectResponse(f"/console/incidents/{incident_id}/evidence", status_code=303)

    @router.post("/incidents/{incident_id}/evidence/bundle.zip")
    async def download(request: Request, incident_id: str, csrf: str = Form("")) -> Response:
        size = await _export(request, console, incident_id, csrf)
        data, _ = await _bundle(console, incident_id, size)
        return _attachment(data, f"{incident_id}.zip", "application/zip")

    @router.post("/incidents/{incident_id}/evidence/copy/{fmt}")
    async def copy(request: Request, incident_id: str, fmt: str, csrf: str = Form("")) -> Response:
        if fmt not in READING_COPIES:
            raise HTTPException(404, f"no export format {fmt!r} (csv or ocsf)")
        size = await _export(request, console, incident_id, csrf)
        lines, _ = await signed_ledger(console.services, incident_id, size)
        redact = console.services.redact
        shaped = (
            entries_csv(lines, redact) if fmt == "csv" else entries_ocsf(incident_id, lines, redact)
        )
        suffix, media = READING_COPIES[fmt]
        return _attachment(shaped, f"{incident_id}-{suffix}", media)
