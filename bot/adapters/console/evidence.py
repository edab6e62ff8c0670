"""The console's evidence pages: the report, export-and-verify, and the bundle.

Only holders of the incident's ``audit`` right see any of it. An export is an
``ExportEvidence`` command on the bus: the handler checks the right, records
"evidence exported" (who, when) and signs a checkpoint over it; only then is
the bundle read, up to that checkpoint, so the bundle carries its own export
record. The zip is assembled in a temporary directory that is always removed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.adapters.console.auth import ConsoleUser, csrf_ok
from bot.adapters.console.pages import page, signed_in_user
from bot.core.commands import ExportEvidence
from bot.core.events import EvidenceExported, Refused, TurnedAway
from bot.evidence.bundle import write_bundle
from bot.evidence.report import render_report
from bot.evidence.verify import Verdict, verify_bundle
from bot.service.audit import NO_RIGHT, may_audit, signed_ledger

if TYPE_CHECKING:
    from bot.adapters.console.routes import Console

BAD_CSRF = "missing or wrong CSRF token: nothing was changed"


async def _auditor(request: Request, console: Console, incident_id: str) -> ConsoleUser:
    me = signed_in_user(request)
    allowed = await may_audit(console.services, incident_id, me.actor)
    if allowed is None:
        raise HTTPException(404, f"no incident {incident_id}")
    if not allowed:
        raise HTTPException(403, NO_RIGHT)
    return me


async def _export(request: Request, console: Console, incident_id: str, csrf: str) -> int:
    """Record the export through the bus; returns the signed size the bundle covers."""
    me = await _auditor(request, console, incident_id)
    if not csrf_ok(request, console.directory, csrf):
        raise HTTPException(403, BAD_CSRF)
    for event in await console.bus.handle(ExportEvidence(incident_id, me.actor)):
        if isinstance(event, EvidenceExported):
            return event.entries
        if isinstance(event, Refused | TurnedAway):
            raise HTTPException(403, event.reason)
    raise HTTPException(404, f"no incident {incident_id}")


async def _bundle(console: Console, incident_id: str, size: int) -> tuple[bytes, Verdict]:
    lines, notes = await signed_ledger(console.services, incident_id, size)
    report = render_report(incident_id, lines)
    with tempfile.TemporaryDirectory(prefix="blastwall-export-") as scratch:
        path = Path(scratch) / f"{incident_id}.zip"
        write_bundle(path, incident_id, lines, notes, console.public_pem, report)
        return path.read_bytes(), verify_bundle(path)


def add_evidence_routes(router: APIRouter, console: Console) -> None:
    @router.get("/incidents/{incident_id}/evidence")
    async def evidence(request: Request, incident_id: str) -> HTMLResponse:
        me = await _auditor(request, console, incident_id)
        lines, _ = await signed_ledger(console.services, incident_id)
        return page(
            request,
            console.directory,
            "evidence.html",
            incident_id=incident_id,
            user=me,
            report=render_report(incident_id, lines),
            verdict=request.session.pop("verdict", None),
        )

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
        disposition = f'attachment; filename="{incident_id}.zip"'
        return Response(
            data, media_type="application/zip", headers={"Content-Disposition": disposition}
        )
