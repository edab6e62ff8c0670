"""IAM calls with Blastwall's error mapping: every AWS answer becomes a clear outcome."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
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

_ERRORS = {
    "NoSuchEntity": "not_found",
    "AccessDenied": "access_denied",
    "AccessDeniedException": "access_denied",
    "UnauthorizedOperation": "access_denied",
    "Throttling": "throttled",
    "ThrottlingException": "throttled",
    "RequestLimitExceeded": "throttled",
}


class ActionFailed(Exception):
    """An outcome, not a bug: ``code`` is not_found, access_denied, throttled, timeout,
    unreachable, unsafe, irreversible, or AWS's own code."""

    def __init__(self, code: str, summary: str) -> None:
        super().__init__(summary)
        self.code = code
        self.summary = summary


@dataclass(frozen=True)
class State:
    """What the target looks like now, and what the action would change."""

    before: dict[str, object]
    changes: dict[str, object]


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

    def call(self, call: Callable[[Any], Any], what: str) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = call(self.client())
        except ClientError as exc:
            raise failure(exc, what) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise ActionFailed("timeout", f"IAM timed out for {what}") from exc
        except BotoCoreError as exc:
            raise ActionFailed("unreachable", f"IAM did not answer for {what}: {exc}") from exc
        answer.pop("ResponseMetadata", None)
        return answer

    def inline_policy(self, kind: str, name: str, policy: str) -> dict[str, Any] | None:
        """The inline policy document, or None when absent (the principal must exist)."""
        try:
            if kind == "user":
                answer = self.client().get_user_policy(UserName=name, PolicyName=policy)
            else:
                answer = self.client().get_role_policy(RoleName=name, PolicyName=policy)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise failure(exc, f"{kind} {name}") from exc
            self.exists(kind, name)
            return None
        except BotoCoreError as exc:
            raise ActionFailed("unreachable", f"IAM did not answer: {exc}") from exc
        return document(answer["PolicyDocument"])

    def exists(self, kind: str, name: str) -> dict[str, Any]:
        if kind == "user":
            answer = self.call(lambda iam: iam.get_user(UserName=name), f"user {name}")
            found: dict[str, Any] = answer["User"]
        else:
            answer = self.call(lambda iam: iam.get_role(RoleName=name), f"role {name}")
            found = answer["Role"]
        return found

    def put_policy(self, kind: str, name: str, policy: str, body: str) -> None:
        if kind == "user":
            self.call(
                lambda iam: iam.put_user_policy(
                    UserName=name, PolicyName=policy, PolicyDocument=body
                ),
                f"user {name}",
            )
        else:
            self.call(
                lambda iam: iam.put_role_policy(
                    RoleName=name, PolicyName=policy, PolicyDocument=body
                ),
                f"role {name}",
            )

    def delete_policy(self, kind: str, name: str, policy: str) -> None:
        if kind == "user":
            self.call(
                lambda iam: iam.delete_user_policy(UserName=name, PolicyName=policy), f"user {name}"
            )
        else:
            self.call(
                lambda iam: iam.delete_role_policy(RoleName=name, PolicyName=policy), f"role {name}"
            )

    def key_owner(self, target: AffectedIdentity) -> str:
        key_id = target.external_id
        user = target.attribute("user") or self.call(
            lambda iam: iam.get_access_key_last_used(AccessKeyId=key_id), f"access key {key_id}"
        ).get("UserName")
        if not user:
            raise ActionFailed("not_found", f"access key {key_id} has no owning user")
        return str(user)

    def principal(self, target: AffectedIdentity) -> tuple[str, str]:
        """("user" | "role", name): from the identity, or the owner of an access key."""
        if target.kind is IdentityKind.ACCESS_KEY:
            return "user", self.key_owner(target)
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


def failure(exc: ClientError, what: str) -> ActionFailed:
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
    if mapped == "throttled":
        return ActionFailed(mapped, f"IAM kept throttling {what}; gave up after the retry bound")
    return ActionFailed(mapped, f"IAM refused for {what}: {code} {message}".strip())
