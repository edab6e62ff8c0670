"""CyberArk's error answers (``{"ErrorCode": "PASWS…E", "ErrorMessage": "…"}``, or an
OAuth ``{"error", "error_description"}``) as clear outcomes."""

from __future__ import annotations

import httpx

from connectors.base import ConnectorFailure


def described(response: httpx.Response) -> str:
    """The vendor's code and message, short; the raw text when the body is not JSON."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        code = body.get("ErrorCode") or body.get("error") or ""
        message = body.get("ErrorMessage") or body.get("error_description") or ""
        return f"{code} {message}".strip()[:200]
    return str(body)[:200]


def refused(response: httpx.Response, what: str) -> ConnectorFailure:
    status = response.status_code
    if status in (401, 403):
        code = "access_denied"
    elif status == 404:
        code = "not_found"
    else:
        code = f"http_{status}"
    return ConnectorFailure(code, f"{what}: HTTP {status} {described(response)}")


def error_code(response: httpx.Response) -> str:
    """CyberArk's ``ErrorCode`` (``PASWS…E``), or the HTTP status when there is none."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("ErrorCode"):
        return str(body["ErrorCode"])
    return f"HTTP {response.status_code}"
