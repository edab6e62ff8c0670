"""The live PSM sessions of one identity: ``GET /PasswordVault/API/LiveSessions``,
narrowed server-side with ``Search`` and paged with ``Limit``/``Offset``, then matched
exactly here (``Search`` matches any property that *contains* the text).

A privileged account matches on ``AccountUsername`` (and ``AccountAddress`` when the
identity carries an ``address`` attribute); a Vault user (a person or an agent)
matches on ``User``. Only the fields a responder needs are kept: ``RawProperties``
and the rest of the answer never reach the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.base import ConnectorFailure
from connectors.cyberark.client import CyberArkClient
from connectors.cyberark.specs import CONNECTOR

PAGE = 100
MOST = 1000  # more live sessions than this for one identity is not a containment click


@dataclass(frozen=True)
class LiveSession:
    id: str
    user: str
    account: str
    address: str
    protocol: str
    start: int
    can_terminate: bool
    can_suspend: bool
    live: bool = True

    @classmethod
    def from_answer(cls, item: dict[str, Any]) -> LiveSession:
        return cls(
            id=str(item.get("SessionID") or item.get("SessionGuid") or ""),
            user=str(item.get("User") or ""),
            account=str(item.get("AccountUsername") or ""),
            address=str(item.get("AccountAddress") or ""),
            protocol=str(item.get("Protocol") or ""),
            start=int(item.get("Start") or 0),
            can_terminate=bool(item.get("CanTerminate")),
            can_suspend=bool(item.get("CanSuspend")),
            live=item.get("IsLive", True) is not False,
        )

    def record(self) -> dict[str, object]:
        return {
            "id": self.id,
            "user": self.user,
            "account": self.account,
            "address": self.address,
            "protocol": self.protocol,
            "start": self.start,
            "can_terminate": self.can_terminate,
            "can_suspend": self.can_suspend,
        }


def session_path(session_id: str) -> str:
    return f"LiveSessions/{quote(session_id, safe='')}"


def _matcher(target: AffectedIdentity) -> Any:
    if target.system != CONNECTOR:
        raise ConnectorFailure(
            "invalid_target", f"{target.key} is not a CyberArk identity (system {CONNECTOR!r})"
        )
    wanted = target.external_id.casefold()
    address = (target.attribute("address") or "").casefold()
    if target.kind is IdentityKind.SERVICE_ACCOUNT:
        return lambda s: (
            s.account.casefold() == wanted and (not address or s.address.casefold() == address)
        )
    return lambda s: s.user.casefold() == wanted


async def live_sessions(client: CyberArkClient, target: AffectedIdentity) -> list[LiveSession]:
    """Every live session of ``target``, read page by page within a bound."""
    matches = _matcher(target)
    found: list[LiveSession] = []
    offset = 0
    while True:
        params: dict[str, str | int] = {
            "Search": target.external_id,
            "Limit": PAGE,
            "Offset": offset,
        }
        answer = await client.call("GET", "LiveSessions", "live sessions", params=params)
        page = (answer or {}).get("LiveSessions") or []
        found += [s for s in map(LiveSession.from_answer, page) if s.live and s.id and matches(s)]
        offset += len(page)
        if not page or offset >= int((answer or {}).get("Total") or 0):
            return found
        if offset >= MOST:
            raise ConnectorFailure(
                "too_many", f"more than {MOST} live sessions match {target.key}; narrow the target"
            )
