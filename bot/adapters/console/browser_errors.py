"""Errors outside the console's own routes, answered for whoever asked: a person's
browser (it accepts text/html) gets a styled page with a way back; an API client gets
FastAPI's usual JSON. ``/`` sends a browser to the console."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.adapters.console.pages import HEADINGS, TEMPLATES

MESSAGES = {
    404: "There is no such page here.",
    405: "That page does not take this kind of request.",
}


def _browser(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def _styled(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _browser(request) or exc.status_code not in MESSAGES:
        return await http_exception_handler(request, exc)
    context: dict[str, object] = {
        "heading": HEADINGS.get(exc.status_code, "Something went wrong"),
        "message": MESSAGES[exc.status_code],
        "me": None,
        "flash": [],
        "csrf": "",
    }
    return TEMPLATES.TemplateResponse(
        request, "problem.html", context, status_code=exc.status_code, headers=exc.headers
    )


async def landing(request: Request) -> Response:
    if _browser(request):
        return RedirectResponse("/console", status_code=303)
    return PlainTextResponse("Blastwall: see /docs and /healthz\n")


def install_browser_errors(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _styled)
    app.add_api_route("/", landing, include_in_schema=False)
