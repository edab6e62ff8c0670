"""Revoking a role's active sessions: a deny for tokens issued before a cut-off."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.core.identities import AffectedIdentity
from connectors.aws_iam import policies
from connectors.aws_iam.calls import IamCalls
from connectors.aws_iam.specs import REVOKE_ROLE_SESSIONS
from connectors.base import ConnectorFailure, State


class RevokeSessions:
    spec = REVOKE_ROLE_SESSIONS

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        kind, name = await iam.principal(target)
        if kind != "role":
            raise ConnectorFailure("invalid_target", f"{name} is not a role: sessions are per role")
        doc = await iam.inline_policy(kind, name, policies.REVOKE_SESSIONS_POLICY)
        cutoff = policies.cutoff_of(doc) if doc is not None else None
        now = policies.cutoff_text(datetime.now(UTC))
        before: dict[str, object] = {"role": name, "revoked_before": cutoff, "policy": doc}
        fresh = cutoff is not None and cutoff >= now
        return State(before, {} if fresh else {"revoked_before": now})

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        name = str(state.before["role"])
        cutoff = datetime.now(UTC)
        previous = state.before.get("revoked_before")
        if isinstance(previous, str) and previous > policies.cutoff_text(cutoff):
            return {"role": name, "revoked_before": previous}  # never move the cut-off back
        await iam.put_policy(
            "role", name, policies.REVOKE_SESSIONS_POLICY, policies.revoke_older_sessions(cutoff)
        )
        return {"role": name, "revoked_before": policies.cutoff_text(cutoff)}

    async def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        """Only once every session issued before the cut-off has expired by itself."""
        name = str(snapshot["role"])
        current = await iam.inline_policy("role", name, policies.REVOKE_SESSIONS_POLICY)
        cutoff = policies.cutoff_of(current) if current is not None else None
        if cutoff is not None:
            longest = int((await iam.exists("role", name)).get("MaxSessionDuration") or 3600)
            safe_at = datetime.strptime(cutoff, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC
            ) + timedelta(seconds=max(longest, 3600))
            if datetime.now(UTC) < safe_at:
                raise ConnectorFailure(
                    "unsafe",
                    "sessions issued before the cut-off may still be "
                    f"valid until {safe_at:%Y-%m-%d %H:%M} UTC; "
                    "removing the revocation now would revive them",
                )
        prior = snapshot.get("policy")
        if prior is None and current is not None:
            await iam.delete_policy("role", name, policies.REVOKE_SESSIONS_POLICY)
        elif prior is not None:
            await iam.put_policy("role", name, policies.REVOKE_SESSIONS_POLICY, json.dumps(prior))
        return {"role": name, "revoked_before": policies.cutoff_of(prior) if prior else None}
