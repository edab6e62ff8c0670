"""IAM calls with Blastwall's error mapping: every AWS answer becomes a clear outcome.

boto3 blocks, so ``IamCalls.call`` is the one place that runs it in a worker
thread (the deployment's ``ConnectorThreads``, sized to the bulk concurrency; the
default executor when built without one); the actions are async like every
other connector's.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.base import ConnectorFailure
from connectors.threads import ConnectorThreads

_ERRORS = {
    "NoSuchEntity": "not_found",
    "AccessDenied": "access_denied",
    "AccessDeniedException": "access_denied",
    "UnauthorizedOperation": "access_denied",
    "Throttling": "throttled",
    "ThrottlingException": "throttled",
    "RequestLimitExceeded": "throttled",
}


class IamCalls:
    """One lazily created, shared boto3 client (clients are thread-safe; sessions are not).
    Throttling is retried by botocore's standard mode, a bounded number of times."""

    def __init__(
        self,
        *,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        max_attempts: int,
        timeout_s: float,
        threads: ConnectorThreads | None = None,
    ) -> None:
        self._threads = threads
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

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                key_id, secret = self._credentials
                self._client = boto3.session.Session().client(
                    "iam",
                    config=self._config,
                    endpoint_url=self._endpoint_url,
                    region_name=self._region,
                    aws_access_key_id=key_id,
                    aws_secret_access_key=secret,
                )
            return self._client

    async def call(self, call: Callable[[Any], Any], what: str) -> dict[str, Any]:
        """The answer; an AWS error becomes a ConnectorFailure."""
        answer = await self._in_thread(call, what, missing_ok=False)
        assert answer is not None
        return answer

    async def maybe(self, call: Callable[[Any], Any], what: str) -> dict[str, Any] | None:
        """As ``call``, but None when AWS answers NoSuchEntity."""
        return await self._in_thread(call, what, missing_ok=True)

    async def _in_thread(
        self, call: Callable[[Any], Any], what: str, *, missing_ok: bool
    ) -> dict[str, Any] | None:
        """The one place boto3 runs: in a worker thread, so the event loop never blocks."""
        if self._threads is None:
            return await asyncio.to_thread(self._call, call, what, missing_ok)
        return await self._threads.run(self._call, call, what, missing_ok)

    def _call(
        self, call: Callable[[Any], Any], what: str, missing_ok: bool
    ) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = call(self.client())
        except ClientError as exc:
            if missing_ok and exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return None
            raise failure(exc, what) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise ConnectorFailure("timeout", f"IAM timed out for {what}") from exc
        except BotoCoreError as exc:
            raise ConnectorFailure("unreachable", f"IAM did not answer for {what}: {exc}") from exc
        answer.pop("ResponseMetadata", None)
        return answer

    async def inline_policy(self, kind: str, name: str, policy: str) -> dict[str, Any] | None:
        """The inline policy document, or None when absent (the principal must exist)."""
        if kind == "user":
            answer = await self.maybe(
                lambda c: c.get_user_policy(UserName=name, PolicyName=policy), f"user {name}"
            )
        else:
            answer = await self.maybe(
                lambda c: c.get_role_policy(RoleName=name, PolicyName=policy), f"role {name}"
            )
        if answer is None:
            await self.exists(kind, name)
            return None
        return document(answer["PolicyDocument"])

    async def exists(self, kind: str, name: str) -> dict[str, Any]:
        if kind == "user":
            answer = await self.call(lambda c: c.get_user(UserName=name), f"user {name}")
            found: dict[str, Any] = answer["User"]
        else:
            answer = await self.call(lambda c: c.get_role(RoleName=name), f"role {name}")
            found = answer["Role"]
        return found

    async def put_policy(self, kind: str, name: str, policy: str, body: str) -> None:
        if kind == "user":
            await self.call(
                lambda c: c.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=body),
                f"user {name}",
            )
        else:
            await self.call(
                lambda c: c.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=body),
                f"role {name}",
            )

    async def delete_policy(self, kind: str, name: str, policy: str) -> None:
        if kind == "user":
            await self.call(
                lambda c: c.delete_user_policy(UserName=name, PolicyName=policy), f"user {name}"
            )
        else:
            await self.call(
                lambda c: c.delete_role_policy(RoleName=name, PolicyName=policy), f"role {name}"
            )

    async def key_owner(self, target: AffectedIdentity) -> str:
        key_id = target.external_id
        user = target.attribute("user")
        if not user:
            answer = await self.call(
                lambda c: c.get_access_key_last_used(AccessKeyId=key_id), f"access key {key_id}"
            )
            user = answer.get("UserName")
        if not user:
            raise ConnectorFailure("not_found", f"access key {key_id} has no owning user")
        return str(user)

    async def principal(self, target: AffectedIdentity) -> tuple[str, str]:
        """("user" | "role", name): from the identity, or the owner of an access key."""
        if target.kind is IdentityKind.ACCESS_KEY:
            return "user", await self.key_owner(target)
        explicit = target.attribute("principal_type")
        if explicit in ("user", "role"):
            return explicit, _name(target)
        kind = "role" if target.kind in (IdentityKind.ROLE, IdentityKind.AGENT) else "user"
        return kind, _name(target)


def _name(target: AffectedIdentity) -> str:
    return target.external_id.rsplit("/", 1)[-1]


def document(raw: object) -> dict[str, Any]:
    """IAM answers policy documents as JSON, sometimes URL-encoded."""
    if isinstance(raw, dict):
        return raw
    text = str(raw)
    parsed = json.loads(unquote(text) if text.startswith("%7B") else text)
    assert isinstance(parsed, dict)
    return parsed


def failure(exc: ClientError, what: str) -> ConnectorFailure:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "error"))
    message = str(error.get("Message", ""))
    mapped = _ERRORS.get(code, code)
    if mapped == "not_found":
        return ConnectorFailure(mapped, f"{what} not found")
    if mapped == "access_denied":
        return ConnectorFailure(
            mapped, f"Blastwall's AWS credential may not do this on {what}: {message}"
        )
    if mapped == "throttled":
        return ConnectorFailure(
            mapped, f"IAM kept throttling {what}; gave up after the retry bound"
        )
    return ConnectorFailure(mapped, f"IAM refused for {what}: {code} {message}".strip())
