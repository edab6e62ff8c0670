"""A GitHub identity's activity from the organisation audit log.

``GET /orgs/{org}/audit-log`` as the GitHub App (Organization administration:
read), searched with ``phrase``: ``hashed_token:"…"`` for a leaked token
(GitHub's SHA-256 of the token, base64; Blastwall holds the token sealed and
hashes it here, or takes the hash an alert carried), else ``actor:LOGIN``
(an App's ``name[bot]``, a machine user), plus ``created:>=`` the window's first
day. ``include=all`` (web and Git events), oldest first, 100 a page, following
the ``Link`` header's next page until the window or the bound is reached.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from bot.core.activity import (
    ActivityEvent,
    ActivityReport,
    ActivityUnavailable,
    ActivityWindow,
    iso,
)
from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.base import ConnectorFailure
from connectors.github.client import GitHubClient
from connectors.http_errors import refuse

SOURCE = "github.audit_log"
PER_PAGE = 100
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
KINDS = frozenset({IdentityKind.TOKEN, IdentityKind.APP_INSTALLATION, IdentityKind.SERVICE_ACCOUNT})


class GitHubAuditLog:
    def __init__(self, client: GitHubClient, unseal: Callable[[str], str]) -> None:
        self._gh = client
        self._unseal = unseal

    def covers(self, identity: AffectedIdentity) -> bool:
        return (
            identity.system == "github"
            and identity.kind in KINDS
            and bool(identity.attribute("org"))
            and self._filter(identity) is not None
        )

    def _filter(self, identity: AffectedIdentity) -> str | None:
        """The phrase naming this identity: its token's hash, else its actor login."""
        hashed = identity.attribute("hashed_token")
        sealed = identity.attribute("credential_sealed")
        if not hashed and sealed:
            digest = hashlib.sha256(self._unseal(sealed).encode("utf-8")).digest()
            hashed = base64.b64encode(digest).decode("ascii")
        if hashed:
            return f'hashed_token:"{hashed}"'
        actor = identity.attribute("actor")
        return f"actor:{actor}" if actor else None

    async def activity(self, identity: AffectedIdentity, window: ActivityWindow) -> ActivityReport:
        org, named = identity.attribute("org"), self._filter(identity)
        if not org or not named:
            raise ActivityUnavailable(SOURCE, {}, f"{identity.key}: no org, token or actor")
        params = {
            "phrase": f"{named} created:>={window.since:%Y-%m-%d}",
            "include": "all",
            "order": "asc",
            "per_page": str(PER_PAGE),
        }
        query: dict[str, object] = {
            "path": f"orgs/{org}/audit-log",
            **params,
            "since": iso(window.since),
            "until": iso(window.until),
            "max_events": window.max_events,
        }
        try:
            events, truncated = await self._read(
                f"orgs/{org}/audit-log?{urlencode(params)}", window
            )
        except ConnectorFailure as failed:
            raise ActivityUnavailable(SOURCE, query, failed.summary) from failed
        return ActivityReport(SOURCE, query, tuple(events), truncated)

    async def _read(self, url: str, window: ActivityWindow) -> tuple[list[ActivityEvent], bool]:
        events: list[ActivityEvent] = []
        next_url: str | None = url
        while next_url is not None:
            response = await self._gh.request("GET", next_url, "audit log", auth="installation")
            if response.status_code >= 400:
                raise refuse(response, "the organisation audit log")
            for raw in response.json():
                event = _event(raw)
                if event.at > window.until:
                    return events, False  # oldest first: the rest is later still
                if not window.holds(event.at):
                    continue
                if len(events) == window.max_events:
                    return events, True
                events.append(event)
            found = _NEXT.search(response.headers.get("link", ""))
            next_url = found.group(1) if found else None
        return events, False


def _event(raw: dict[str, Any]) -> ActivityEvent:
    stamp = raw.get("@timestamp") or raw.get("created_at") or 0
    at = datetime.fromtimestamp(float(stamp) / 1000, UTC)
    return ActivityEvent(
        id=str(raw.get("_document_id", "")),
        name=str(raw.get("action", "")),
        at=at,
        actor=str(raw.get("actor", "")),
        record=dict(raw),
    )
