"""A Vault / OpenBao identity's activity, from what Vault keeps without an audit device.

A token (named by its accessor): ``auth/token/lookup-accessor`` gives when it was
issued and last renewed, and what it holds now (policies, entity, TTL), recorded
as a ``token.lookup`` event at the window's end (``token.not_found`` once it is
gone). A lease prefix: ``sys/leases/lookup/{prefix}/`` lists its leases and
``sys/leases/lookup`` reads each one's issue and renewal times. The token value
is never asked for; the lookup's ``id`` field (empty for a lookup by accessor)
is dropped anyway, and the service redacts what remains.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.core.activity import (
    ActivityEvent,
    ActivityReport,
    ActivityUnavailable,
    ActivityWindow,
    iso,
)
from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.base import ConnectorFailure
from connectors.vault.client import VaultClient

SOURCE = "vault"
SYSTEMS = frozenset({"vault", "openbao"})
_NANOS = re.compile(r"(\.\d+)")  # Python reads at most six fraction digits


class VaultActivity:
    def __init__(self, client: VaultClient) -> None:
        self._vault = client

    def covers(self, identity: AffectedIdentity) -> bool:
        if identity.system not in SYSTEMS:
            return False
        return identity.kind is IdentityKind.TOKEN or (
            identity.kind is IdentityKind.SECRET
            and identity.attribute("vault_object") == "lease_prefix"
        )

    async def activity(self, identity: AffectedIdentity, window: ActivityWindow) -> ActivityReport:
        token = identity.kind is IdentityKind.TOKEN
        query: dict[str, object] = {
            "path": "auth/token/lookup-accessor" if token else "sys/leases/lookup",
            "target": identity.external_id.strip("/"),
            "since": iso(window.since),
            "until": iso(window.until),
            "max_events": window.max_events,
        }
        try:
            found = await (self._token(identity, window) if token else self._leases(identity))
        except ConnectorFailure as failed:
            raise ActivityUnavailable(SOURCE, query, failed.summary) from failed
        kept = sorted((e for e in found if window.holds(e.at)), key=lambda e: e.at)
        return ActivityReport(
            SOURCE, query, tuple(kept[: window.max_events]), len(kept) > window.max_events
        )

    async def _token(
        self, identity: AffectedIdentity, window: ActivityWindow
    ) -> list[ActivityEvent]:
        accessor = identity.external_id
        answer = await self._vault.call(
            "POST",
            "auth/token/lookup-accessor",
            "token accessor",
            json={"accessor": accessor},
            missing_ok=True,
        )
        if answer is None or not isinstance(answer.get("data"), dict):
            return [ActivityEvent(f"{accessor}:gone", "token.not_found", window.until, accessor)]
        data = {k: v for k, v in answer["data"].items() if k != "id"}
        actor = str(data.get("display_name") or accessor)
        events = [ActivityEvent(f"{accessor}:lookup", "token.lookup", window.until, actor, data)]
        for name, field in (("token.issued", "issue_time"), ("token.renewed", "last_renewal")):
            at = _time(data.get(field))
            if at is not None:
                events.append(
                    ActivityEvent(f"{accessor}:{field}", name, at, actor, {field: iso(at)})
                )
        return events

    async def _leases(self, identity: AffectedIdentity) -> list[ActivityEvent]:
        prefix = identity.external_id.strip("/")
        listed = await self._vault.call(
            "GET",
            f"sys/leases/lookup/{prefix}/",
            "lease prefix",
            params={"list": "true"},
            missing_ok=True,
        )
        keys = ((listed or {}).get("data") or {}).get("keys") or []
        events: list[ActivityEvent] = []
        for key in keys:
            lease_id = f"{prefix}/{key}"
            answer = await self._vault.call(
                "PUT", "sys/leases/lookup", "lease", json={"lease_id": lease_id}, missing_ok=True
            )
            if answer is not None and isinstance(answer.get("data"), dict):
                events += _lease_events(lease_id, answer["data"])
        return events


def _lease_events(lease_id: str, data: dict[str, Any]) -> list[ActivityEvent]:
    events = []
    for name, field in (("lease.issued", "issue_time"), ("lease.renewed", "last_renewal")):
        at = _time(data.get(field))
        if at is not None:
            events.append(ActivityEvent(f"{lease_id}:{field}", name, at, lease_id, dict(data)))
    return events


def _time(value: object) -> datetime | None:
    """Vault's times: RFC 3339 strings with up to nanoseconds, or null."""
    if not isinstance(value, str) or not value:
        return None
    text = _NANOS.sub(lambda m: m.group(1)[:7], value.replace("Z", "+00:00"))
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
