"""Security headers on every console response, pages, errors and assets alike.

The console loads nothing but its own stylesheet and script, and runs no
inline script, so the Content-Security-Policy allows only ``'self'``; a
script injected into a page would not run. Pages are never framed (no
clickjacking of the approve button), never cached (they show incidents), and
send no Referer (a sign-in link must not leak through one). Behind https, the
browser is told to stay on https.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/console"
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("cache-control", "no-store"),
)
HSTS = ("strict-transport-security", "max-age=31536000")


class ConsoleHeaders:
    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        extra = (HSTS,) if https else ()
        self._headers = [(k.encode(), v.encode()) for k, v in (*HEADERS, *extra)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in self._headers}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + self._headers
            await send(message)

        await self.app(scope, receive, with_headers)
