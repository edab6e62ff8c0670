"""Okta users (people, or service users shared with people): suspend (a toggle),
deactivate (irreversible in effect) and ending their sessions and tokens."""

from __future__ import annotations

import time
from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.okta.client import OktaClient
from connectors.okta.specs import CLEAR_USER_SESSIONS, CONNECTOR, DEACTIVATE_USER, SUSPEND_USER

# Okta has no call that lists a user's sessions: a clear this recent counts as done.
RECENT_S = 600.0


def okta_id(target: AffectedIdentity) -> str:
    if target.system != CONNECTOR:
        raise ConnectorFailure("invalid_target", f"{target.key} is not an Okta identity")
    return target.external_id


async def user(okta: OktaClient, target: AffectedIdentity) -> dict[str, Any]:
    user_id = okta_id(target)
    found = await okta.call("GET", f"api/v1/users/{user_id}", f"user {user_id}", missing_ok=True)
    if not isinstance(found, dict):
        raise ConnectorFailure("not_found", f"user {user_id} not found")
    return found


def _seen(found: dict[str, Any]) -> dict[str, object]:
    return {"login": (found.get("profile") or {}).get("login"), "status": found.get("status")}


class SuspendUser:
    spec = SUSPEND_USER

    async def read(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        before = _seen(await user(okta, target))
        if before["status"] == "SUSPENDED":
            return State(before, {})
        if before["status"] != "ACTIVE":
            raise ConnectorFailure(
                "invalid_target", f"only an ACTIVE user can be suspended (it is {before['status']})"
            )
        return State(before, {"status": "SUSPENDED"})

    async def write(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await okta.call("POST", f"api/v1/users/{target.external_id}/lifecycle/suspend", "user")
        return {"status": "SUSPENDED"}

    async def restore(
        self,
        okta: OktaClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        current = _seen(await user(okta, target))
        if snapshot.get("status") != "ACTIVE" or current["status"] != "SUSPENDED":
            return {"status": current["status"]}
        await okta.call("POST", f"api/v1/users/{target.external_id}/lifecycle/unsuspend", "user")
        return {"status": "ACTIVE"}


class DeactivateUser(Irreversible):
    spec = DEACTIVATE_USER
    instead = (
        "reactivating a deactivated Okta user starts a new activation and does not bring back "
        "its app assignments; re-create the access deliberately, or suspend instead next time"
    )

    async def read(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        before = _seen(await user(okta, target))
        done = before["status"] == "DEPROVISIONED"
        return State(before, {} if done else {"status": "DEPROVISIONED"})

    async def write(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await okta.call(
            "POST",
            f"api/v1/users/{target.external_id}/lifecycle/deactivate",
            "user",
            params={"sendEmail": "false"},
        )
        return {"status": "DEPROVISIONED"}


class ClearUserSessions(Irreversible):
    """Ends every session and OAuth token of the user. Okta offers no read of a user's
    sessions, so the read-back is this connector's record of Okta's 204."""

    spec = CLEAR_USER_SESSIONS
    instead = "ended sessions cannot be restored; the person signs in again"

    def __init__(self) -> None:
        self._cleared: dict[str, float] = {}

    async def read(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        before = _seen(await user(okta, target))
        at = self._cleared.get(target.external_id)
        recent = at is not None and time.monotonic() - at < RECENT_S
        return State(before, {} if recent else {"sessions": "ended"})

    async def write(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await okta.call(
            "DELETE",
            f"api/v1/users/{target.external_id}/sessions",
            "user sessions",
            params={"oauthTokens": "true"},
        )
        self._cleared[target.external_id] = time.monotonic()
        return {"sessions": "ended", "oauth_tokens": "revoked"}
