"""Rendering console pages, and the sign-in gate every console route passes through.

Each console route is a ``ConsoleRoute``: before FastAPI even reads the form,
the session id in the cookie is looked up in the database, and a request that
is not signed in gets the styled sign-in page (401). Refusals and bad input
(403, 404, 422) are styled pages too, never raw JSON: a person is on the other
end of every console URL.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from bot.adapters.console.auth import SESSION_KEY, ConsoleUser, Directory, csrf_token
from bot.evidence.review_render import duration, utc
from bot.service.plain_words import plural

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["plural"] = plural
TEMPLATES.env.filters["duration"] = duration
TEMPLATES.env.filters["utc"] = utc
PUBLIC = frozenset({"/console/login", "/console/signed-out"})
HEADINGS = {
    401: "Sign in",
    409: "Cannot do that now",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    422: "That did not make sense",
}
NOT_SIGNED_IN = "You are not signed in, or your session has ended."

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def signed_in_user(request: Request) -> ConsoleUser:
    """The user the gate found; only a public route would ever not have one."""
    user = getattr(request.state, "console_user", None)
    if not isinstance(user, ConsoleUser):
        raise HTTPException(401, NOT_SIGNED_IN)
    return user


def page(
    request: Request, directory: Directory, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    flash = request.session.pop("flash", [])
    user = getattr(request.state, "console_user", None)
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "csrf": csrf_token(request, directory),
            "flash": flash,
            "me": user.name if isinstance(user, ConsoleUser) else None,
            **context,
        },
        status_code=status,
    )


def wants_json(request: Request) -> bool:
    """An API client that asks for JSON gets it; a browser (text/html) gets a page."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem(request: Request, directory: Directory, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    if status == 401:
        request.state.console_user = None
        return page(request, directory, "signin.html", 401, message=message)
    heading = HEADINGS.get(status, "Something went wrong")
    return page(request, directory, "problem.html", status, heading=heading, message=message)


def _fields(exc: RequestValidationError) -> str:
    names = sorted({str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()})
    return f"missing or invalid: {', '.join(names)}"


def route_class(directory: Directory) -> type[APIRoute]:
    """The route class of the console's router: the gate, then the endpoint."""

    class ConsoleRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            endpoint = super().get_route_handler()
            public = self.path in PUBLIC

            async def gated(request: Request) -> Response:
                if not public:
                    sid = request.session.get(SESSION_KEY)
                    request.state.console_user = await directory.session_user(sid)
                    if request.state.console_user is None:
                        return problem(request, directory, 401, NOT_SIGNED_IN)
                try:
                    return await endpoint(request)
                except HTTPException as exc:
                    return problem(request, directory, exc.status_code, str(exc.detail))
                except RequestValidationError as exc:
                    return problem(request, directory, 422, _fields(exc))

            return gated

    return ConsoleRoute
