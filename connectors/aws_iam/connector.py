"""AWS IAM containment with boto3, each call in a worker thread.

boto3 blocks, so every call runs via ``asyncio.to_thread``. Each action is a
small class (read the state, write the change, restore from a snapshot); this
module turns them into the Connector port: plan, apply, verify, undo.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.core.actions import ActionOutcome, ActionPlan, ActionSpec, Verification
from bot.core.identities import AffectedIdentity
from connectors.aws_iam.calls import ActionFailed, IamCalls, State
from connectors.aws_iam.keys import DeactivateKey, DeleteKey
from connectors.aws_iam.principals import BlockRoleAssumption, Quarantine, RemoveConsoleLogin
from connectors.aws_iam.sessions import RevokeSessions
from connectors.aws_iam.specs import CONNECTOR

VERIFY_TIMEOUT_S = 20.0


class IamAction(Protocol):
    spec: ActionSpec

    def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State: ...

    def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]: ...

    def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]: ...


ACTIONS: tuple[IamAction, ...] = (
    DeactivateKey(),
    DeleteKey(),
    Quarantine(),
    RevokeSessions(),
    RemoveConsoleLogin(),
    BlockRoleAssumption(),
)


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
        verify_timeout_s: float = VERIFY_TIMEOUT_S,
        rate_per_s: float = 10.0,
    ) -> None:
        self._iam = IamCalls(
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            max_attempts=max_attempts,
            timeout_s=timeout_s,
        )
        self._actions = {a.spec.id: a for a in ACTIONS}
        self._verify_timeout_s = verify_timeout_s
        self.rate_per_s = rate_per_s  # bulk runs stay under IAM's mutation throttle

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AwsIamConnector:
        return cls(
            endpoint_url=environ.get("BLASTWALL_AWS_ENDPOINT_URL") or None,
            region=environ.get("BLASTWALL_AWS_REGION") or "us-east-1",
            access_key_id=environ.get("BLASTWALL_AWS_ACCESS_KEY_ID") or None,
            secret_access_key=environ.get("BLASTWALL_AWS_SECRET_ACCESS_KEY") or None,
            max_attempts=int(environ.get("BLASTWALL_AWS_MAX_ATTEMPTS") or 5),
            rate_per_s=float(environ.get("BLASTWALL_AWS_RATE_PER_S") or 10.0),
        )

    def specs(self) -> Sequence[ActionSpec]:
        return tuple(a.spec for a in ACTIONS)

    def _action(self, action_id: str) -> IamAction:
        if action_id not in self._actions:
            raise ValueError(f"{CONNECTOR} has no action {action_id!r}")
        return self._actions[action_id]

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        action = self._action(action_id)
        state = await asyncio.to_thread(action.read, self._iam, target, params)
        return ActionPlan(action_id, target.key, dict(params), state.before, state.changes)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        action = self._action(action_id)
        try:
            return await asyncio.to_thread(self._apply, action, target, params)
        except ActionFailed as failed:
            return ActionOutcome(ok=False, summary=failed.summary, error_code=failed.code)

    def _apply(
        self, action: IamAction, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        state = action.read(self._iam, target, params)
        if not state.changes:
            return ActionOutcome(
                ok=True,
                summary=f"{target.external_id}: already done",
                before=state.before,
                after=state.before,
                already=True,
                response={"already": True},
            )
        after = action.write(self._iam, target, params, state)
        return ActionOutcome(
            ok=True,
            summary=f"{target.external_id}: {_describe(after)}",
            before=state.before,
            after=after,
            response=after,
        )

    async def verify(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> Verification:
        return await asyncio.to_thread(self._verify, self._action(action_id), target, params)

    def _verify(
        self, action: IamAction, target: AffectedIdentity, params: dict[str, str]
    ) -> Verification:
        """IAM is eventually consistent: read back with backoff until the change shows."""
        deadline, pause = time.monotonic() + self._verify_timeout_s, 0.2
        while True:
            try:
                state = action.read(self._iam, target, params)
            except ActionFailed as failed:
                return Verification(False, {}, failed.summary)
            if not state.changes:
                return Verification(True, state.before, "the change is visible")
            if time.monotonic() + pause > deadline:
                return Verification(
                    False, state.before, f"not visible after {self._verify_timeout_s:.0f}s"
                )
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def undo(
        self,
        action_id: str,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> ActionOutcome:
        action = self._action(action_id)
        try:
            after = await asyncio.to_thread(action.restore, self._iam, target, params, snapshot)
        except ActionFailed as failed:
            return ActionOutcome(ok=False, summary=failed.summary, error_code=failed.code)
        return ActionOutcome(
            ok=True,
            summary=f"{target.external_id}: restored",
            before={},
            after=after,
            response=after,
        )


def _describe(after: Mapping[str, object]) -> str:
    return ", ".join(f"{k} {v}" for k, v in after.items() if k not in ("user", "name", "role"))
