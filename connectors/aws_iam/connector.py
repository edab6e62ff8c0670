"""AWS IAM containment with boto3, each call in a worker thread.

boto3 blocks, so every call runs via ``asyncio.to_thread``; one client is
created lazily and shared (boto3 clients are thread-safe, sessions are not).
Throttling is retried by botocore's standard retry mode, within a bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bot.core.actions import ActionOutcome, ActionPlan, ActionSpec
from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.aws_iam import policies
from connectors.aws_iam.specs import (
    CONNECTOR,
    DEACTIVATE_ACCESS_KEY,
    QUARANTINE_PRINCIPAL,
    REVOKE_ROLE_SESSIONS,
    SPECS,
)

_ERRORS = {
    "NoSuchEntity": "not_found",
    "AccessDenied": "access_denied",
    "AccessDeniedException": "access_denied",
    "UnauthorizedOperation": "access_denied",
    "Throttling": "throttled",
    "ThrottlingException": "throttled",
}


@dataclass(frozen=True)
class State:
    """What the target looks like now, and what the action would change."""

    before: dict[str, object]
    changes: dict[str, object]


class ActionFailed(Exception):
    def __init__(self, code: str, summary: str) -> None:
        super().__init__(summary)
        self.code = code
        self.summary = summary


class AwsIamConnector:
    name = CONNECTOR

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        max_attempts: int = 5,
        timeout_s: float = 10.0,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._credentials = (access_key_id, secret_access_key)
        self._config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
        )
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AwsIamConnector:
        return cls(
            endpoint_url=environ.get("BLASTWALL_AWS_ENDPOINT_URL") or None,
            region=environ.get("BLASTWALL_AWS_REGION") or "us-east-1",
            access_key_id=environ.get("BLASTWALL_AWS_ACCESS_KEY_ID") or None,
            secret_access_key=environ.get("BLASTWALL_AWS_SECRET_ACCESS_KEY") or None,
            max_attempts=int(environ.get("BLASTWALL_AWS_MAX_ATTEMPTS") or 5),
        )

    def specs(self) -> Sequence[ActionSpec]:
        return SPECS

    def _iam(self) -> Any:
        with self._lock:
            if self._client is None:
                key_id, secret = self._credentials
                self._client = boto3.session.Session().client(
                    "iam",
                    endpoint_url=self._endpoint_url,
                    region_name=self._region,
                    aws_access_key_id=key_id,
                    aws_secret_access_key=secret,
                    config=self._config,
                )
            return self._client

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        reader, _ = self._handlers(action_id)
        state = await asyncio.to_thread(reader, target)
        return ActionPlan(action_id, target.key, dict(params), state.before, state.changes)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        reader, writer = self._handlers(action_id)
        try:
            return await asyncio.to_thread(self._apply, reader, writer, target)
        except ActionFailed as failed:
            return ActionOutcome(ok=False, summary=failed.summary, error_code=failed.code)

    def _apply(
        self,
        reader: Callable[[AffectedIdentity], State],
        writer: Callable[[AffectedIdentity, State], dict[str, object]],
        target: AffectedIdentity,
    ) -> ActionOutcome:
        state = reader(target)
        if not state.changes:
            return ActionOutcome(
                ok=True,
                summary=f"{target.external_id}: already done",
                before=state.before,
                after=state.before,
                already=True,
            )
        after = writer(target, state)
        return ActionOutcome(
            ok=True,
            summary=f"{target.external_id}: {_describe(after)}",
            before=state.before,
            after=after,
        )

    def _handlers(
        self, action_id: str
    ) -> tuple[
        Callable[[AffectedIdentity], State], Callable[[AffectedIdentity, State], dict[str, object]]
    ]:
        table = {
            DEACTIVATE_ACCESS_KEY.id: (self._key_state, self._deactivate),
            QUARANTINE_PRINCIPAL.id: (self._quarantine_state, self._quarantine),
            REVOKE_ROLE_SESSIONS.id: (self._sessions_state, self._revoke_sessions),
        }
        if action_id not in table:
            raise ValueError(f"{CONNECTOR} has no action {action_id!r}")
        return table[action_id]

    # --- deactivate an access key -------------------------------------------------

    def _key_owner(self, target: AffectedIdentity) -> str:
        key_id = target.external_id
        user = target.attribute("user") or self._call(
            lambda iam: iam.get_access_key_last_used(AccessKeyId=key_id), f"access key {key_id}"
        ).get("UserName")
        if not user:
            raise ActionFailed("not_found", f"access key {key_id} has no owning user")
        return str(user)

    def _key_state(self, target: AffectedIdentity) -> State:
        key_id = target.external_id
        user = self._key_owner(target)
        keys = self._call(lambda iam: iam.list_access_keys(UserName=user), f"user {user}")
        found = [k for k in keys["AccessKeyMetadata"] if k["AccessKeyId"] == key_id]
        if not found:
            raise ActionFailed("not_found", f"access key {key_id} not found for user {user}")
        before: dict[str, object] = {"user": user, "status": found[0]["Status"]}
        changes: dict[str, object] = (
            {} if found[0]["Status"] == "Inactive" else {"status": "Inactive"}
        )
        return State(before, changes)

    def _deactivate(self, target: AffectedIdentity, state: State) -> dict[str, object]:
        user = str(state.before["user"])
        self._call(
            lambda iam: iam.update_access_key(
                UserName=user, AccessKeyId=target.external_id, Status="Inactive"
            ),
            f"access key {target.external_id}",
        )
        return {"user": user, "status": "Inactive"}

    # --- quarantine a user or role ------------------------------------------------

    def _quarantine_state(self, target: AffectedIdentity) -> State:
        kind, name = self._principal(target)
        document = self._inline_policy(kind, name, policies.QUARANTINE_POLICY)
        before: dict[str, object] = {
            "principal_type": kind,
            "name": name,
            "quarantine_policy": document,
        }
        changes: dict[str, object] = (
            {} if document is not None else {"quarantine_policy": policies.QUARANTINE_POLICY}
        )
        return State(before, changes)

    def _quarantine(self, target: AffectedIdentity, state: State) -> dict[str, object]:
        kind, name = self._principal(target)
        self._put_policy(kind, name, policies.QUARANTINE_POLICY, policies.deny_all())
        return {
            "principal_type": kind,
            "name": name,
            "quarantine_policy": policies.QUARANTINE_POLICY,
        }

    # --- revoke a role's sessions -------------------------------------------------

    def _sessions_state(self, target: AffectedIdentity) -> State:
        kind, name = self._principal(target)
        if kind != "role":
            raise ActionFailed("invalid_target", f"{name} is not a role: sessions are per role")
        document = self._inline_policy(kind, name, policies.REVOKE_SESSIONS_POLICY)
        cutoff = policies.cutoff_of(document) if document is not None else None
        now = policies.cutoff_text(datetime.now(UTC))
        before: dict[str, object] = {"role": name, "revoked_before": cutoff}
        changes: dict[str, object] = (
            {} if cutoff is not None and cutoff >= now else {"revoked_before": now}
        )
        return State(before, changes)

    def _revoke_sessions(self, target: AffectedIdentity, state: State) -> dict[str, object]:
        _, name = self._principal(target)
        cutoff = datetime.now(UTC)
        previous = state.before.get("revoked_before")
        if isinstance(previous, str) and previous > policies.cutoff_text(cutoff):
            return {"role": name, "revoked_before": previous}  # never move the cut-off back
        self._put_policy(
            "role", name, policies.REVOKE_SESSIONS_POLICY, policies.revoke_older_sessions(cutoff)
        )
        return {"role": name, "revoked_before": policies.cutoff_text(cutoff)}

    def _principal(self, target: AffectedIdentity) -> tuple[str, str]:
        """("user" | "role", name): from the identity, or the owner of an access key."""
        if target.kind is IdentityKind.ACCESS_KEY:
            return "user", self._key_owner(target)
        explicit = target.attribute("principal_type")
        if explicit in ("user", "role"):
            kind = explicit
        else:
            kind = "role" if target.kind in (IdentityKind.ROLE, IdentityKind.AGENT) else "user"
        return kind, target.external_id.rsplit("/", 1)[-1]

    # --- IAM calls ----------------------------------------------------------------

    def _inline_policy(self, kind: str, name: str, policy: str) -> object | None:
        try:
            if kind == "user":
                answer = self._iam().get_user_policy(UserName=name, PolicyName=policy)
            else:
                answer = self._iam().get_role_policy(RoleName=name, PolicyName=policy)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise _failure(exc, f"{kind} {name}") from exc
            self._exists(kind, name)
            return None
        except BotoCoreError as exc:
            raise ActionFailed("unreachable", f"IAM did not answer: {exc}") from exc
        document: object = answer["PolicyDocument"]
        return document

    def _exists(self, kind: str, name: str) -> None:
        if kind == "user":
            self._call(lambda iam: iam.get_user(UserName=name), f"user {name}")
        else:
            self._call(lambda iam: iam.get_role(RoleName=name), f"role {name}")

    def _put_policy(self, kind: str, name: str, policy: str, document: str) -> None:
        if kind == "user":
            self._call(
                lambda iam: iam.put_user_policy(
                    UserName=name, PolicyName=policy, PolicyDocument=document
                ),
                f"user {name}",
            )
        else:
            self._call(
                lambda iam: iam.put_role_policy(
                    RoleName=name, PolicyName=policy, PolicyDocument=document
                ),
                f"role {name}",
            )

    def _call(self, call: Callable[[Any], Any], what: str) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = call(self._iam())
        except ClientError as exc:
            raise _failure(exc, what) from exc
        except BotoCoreError as exc:
            raise ActionFailed("unreachable", f"IAM did not answer for {what}: {exc}") from exc
        return answer


def _failure(exc: ClientError, what: str) -> ActionFailed:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "error"))
    message = str(error.get("Message", ""))
    mapped = _ERRORS.get(code, code)
    if mapped == "not_found":
        return ActionFailed(mapped, f"{what} not found")
    if mapped == "access_denied":
        return ActionFailed(
            mapped, f"Blastwall's AWS credential may not do this on {what}: {message}"
        )
    return ActionFailed(mapped, f"IAM refused for {what}: {code} {message}".strip())


def _describe(after: Mapping[str, object]) -> str:
    return ", ".join(f"{k} {v}" for k, v in after.items() if k not in ("user", "name", "role"))
