"""The Slack actions: read the state, write the change; neither can be undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.slack_admin.client import SlackAnswer, SlackWebApi, failure
from connectors.slack_admin.specs import RESET_USER_SESSIONS, REVOKE_TOKEN

DEAD = frozenset({"invalid_auth", "token_revoked", "token_expired", "account_inactive"})


class RevokeToken(Irreversible):
    """``auth.revoke`` revokes the token that calls it, so the identity carries the leaked
    token sealed; the read-back is whether ``auth.test`` still accepts it."""

    spec = REVOKE_TOKEN
    instead = "a revoked Slack token cannot be brought back; reinstall the app for a new one"

    def __init__(self, unseal: Callable[[str], str]) -> None:
        self._unseal = unseal

    def _token(self, target: AffectedIdentity) -> str:
        sealed = target.attribute("credential_sealed")
        if not sealed:
            raise ConnectorFailure("invalid_target", f"{target.key} carries no sealed token")
        return self._unseal(sealed)

    async def read(
        self, slack: SlackWebApi, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        try:
            who = await slack.call("auth.test", self._token(target))
        except SlackAnswer as answer:
            if answer.error in DEAD:
                return State({"authenticates": False, "slack_error": answer.error}, {})
            raise failure(answer) from answer
        before: dict[str, object] = {
            "authenticates": True,
            "team_id": who.get("team_id"),
            "user_id": who.get("user_id"),
            "bot_id": who.get("bot_id"),
            "enterprise_id": who.get("enterprise_id"),
        }
        return State(before, {"authenticates": False})

    async def write(
        self, slack: SlackWebApi, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        try:
            answer = await slack.call("auth.revoke", self._token(target))
        except SlackAnswer as refused:
            if refused.error in DEAD:  # revoked meanwhile: what was asked
                return {"authenticates": False}
            raise failure(refused) from refused
        return {"authenticates": False, "revoked": bool(answer.get("revoked"))}


class ResetUserSessions(Irreversible):
    """Enterprise Grid only, with an org admin's token (``admin.users:read`` and ``:write``)."""

    spec = RESET_USER_SESSIONS
    instead = "ended sessions stay ended; the user signs in again"

    def __init__(self, admin_token: str | None) -> None:
        self._admin_token = admin_token

    def _token(self) -> str:
        if not self._admin_token:
            raise ConnectorFailure(
                "access_denied", "no Slack admin token configured (BLASTWALL_SLACK_ADMIN_TOKEN)"
            )
        return self._admin_token

    async def read(
        self, slack: SlackWebApi, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        user, token = target.external_id, self._token()
        team = target.attribute("team_id") or await self._team(slack, token, user)
        try:
            answer = await slack.call(
                "admin.users.session.list", token, user_id=user, team_id=team, limit="1000"
            )
        except SlackAnswer as refused:
            raise failure(refused) from refused
        sessions: list[Any] = answer.get("active_sessions") or []
        before: dict[str, object] = {"user_id": user, "team_id": team, "sessions": len(sessions)}
        return State(before, {"sessions": 0} if sessions else {})

    async def write(
        self, slack: SlackWebApi, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        try:
            await slack.call("admin.users.session.reset", self._token(), user_id=target.external_id)
        except SlackAnswer as refused:
            raise failure(refused) from refused
        return {"user_id": target.external_id, "sessions": 0}

    async def _team(self, slack: SlackWebApi, token: str, user: str) -> str:
        """The user's workspace, which admin.users.session.list needs with the user."""
        try:
            found = await slack.call("users.info", token, user=user)
        except SlackAnswer as refused:
            raise failure(refused) from refused
        profile = found.get("user") or {}
        if profile.get("is_bot"):
            raise ConnectorFailure("invalid_target", f"{user} is a bot: revoke its token instead")
        return str(profile.get("team_id") or "")
