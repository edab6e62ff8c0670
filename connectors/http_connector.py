"""The Connector port for systems with an async HTTP client (Vault, GitHub).

Each action is a small class (read the state, write the change, restore from
a snapshot); this turns a table of them into plan, apply, verify and undo,
with failures as outcomes and a bounded read-back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from bot.core.actions import ActionOutcome, ActionPlan, ActionSpec, Verification
from bot.core.identities import AffectedIdentity
from connectors.http_errors import ConnectorFailure

Client = TypeVar("Client", contravariant=True)
State = tuple[dict[str, object], dict[str, object]]  # (before, changes)


class HttpAction(Protocol[Client]):
    spec: ActionSpec

    async def read(self, client: Client, target: AffectedIdentity) -> State: ...

    async def write(self, client: Client, target: AffectedIdentity) -> dict[str, object]: ...

    async def restore(
        self, client: Client, target: AffectedIdentity, snapshot: dict[str, object]
    ) -> dict[str, object]: ...


C = TypeVar("C")


class HttpConnector(Generic[C]):
    rate_per_s = 10.0

    def __init__(
        self, name: str, client: C, actions: Sequence[HttpAction[C]], verify_timeout_s: float = 10.0
    ) -> None:
        self.name = name
        self._client = client
        self._actions = {a.spec.id: a for a in actions}
        self._verify_timeout_s = verify_timeout_s

    def specs(self) -> Sequence[ActionSpec]:
        return tuple(a.spec for a in self._actions.values())

    def _action(self, action_id: str) -> HttpAction[C]:
        if action_id not in self._actions:
            raise ValueError(f"{self.name} has no action {action_id!r}")
        return self._actions[action_id]

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        before, changes = await self._action(action_id).read(self._client, target)
        return ActionPlan(action_id, target.key, dict(params), before, changes)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        action = self._action(action_id)
        try:
            before, changes = await action.read(self._client, target)
            if not changes:
                return ActionOutcome(
                    ok=True,
                    summary=f"{target.external_id}: already done",
                    before=before,
                    after=before,
                    already=True,
                    response={"already": True},
                )
            after = await action.write(self._client, target)
        except ConnectorFailure as failed:
            return ActionOutcome(ok=False, summary=failed.summary, error_code=failed.code)
        return ActionOutcome(
            ok=True,
            summary=f"{target.external_id}: done",
            before=before,
            after=after,
            response=after,
        )

    async def verify(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> Verification:
        action = self._action(action_id)
        deadline, pause = time.monotonic() + self._verify_timeout_s, 0.1
        while True:
            try:
                before, changes = await action.read(self._client, target)
            except ConnectorFailure as failed:
                return Verification(False, {}, failed.summary)
            if not changes:
                return Verification(True, before, "the change is visible")
            if time.monotonic() + pause > deadline:
                return Verification(False, before, "not visible in time")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def undo(
        self,
        action_id: str,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> ActionOutcome:
        try:
            after = await self._action(action_id).restore(self._client, target, snapshot)
        except ConnectorFailure as failed:
            return ActionOutcome(ok=False, summary=failed.summary, error_code=failed.code)
        return ActionOutcome(
            ok=True, summary=f"{target.external_id}: restored", after=after, response=after
        )
