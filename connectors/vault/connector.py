"""Vault / OpenBao as a Connector: plan, apply, verify, undo over the HTTP API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.core.actions import ActionOutcome, ActionPlan, ActionSpec, Verification
from bot.core.identities import AffectedIdentity
from connectors.http_errors import ConnectorFailure
from connectors.vault.actions import (
    DestroySecretId,
    DisableEntity,
    RevokeLeases,
    RevokeToken,
    State,
)
from connectors.vault.client import VaultClient
from connectors.vault.specs import CONNECTOR


class VaultAction(Protocol):
    spec: ActionSpec

    async def read(self, vault: VaultClient, target: AffectedIdentity) -> State: ...

    async def write(self, vault: VaultClient, target: AffectedIdentity) -> dict[str, object]: ...

    async def restore(
        self, vault: VaultClient, target: AffectedIdentity, snapshot: dict[str, object]
    ) -> dict[str, object]: ...


ACTIONS: tuple[VaultAction, ...] = (
    RevokeToken(),
    RevokeLeases(),
    DisableEntity(),
    DestroySecretId(),
)


class VaultConnector:
    name = CONNECTOR
    rate_per_s = 20.0

    def __init__(
        self,
        *,
        addr: str,
        token: str,
        namespace: str | None = None,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
    ) -> None:
        self._vault = VaultClient(addr=addr, token=token, namespace=namespace, attempts=attempts)
        self._actions = {a.spec.id: a for a in ACTIONS}
        self._verify_timeout_s = verify_timeout_s

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> VaultConnector | None:
        addr, token = environ.get("BLASTWALL_VAULT_ADDR"), environ.get("BLASTWALL_VAULT_TOKEN")
        if not addr or not token:
            return None
        return cls(addr=addr, token=token, namespace=environ.get("BLASTWALL_VAULT_NAMESPACE"))

    def specs(self) -> Sequence[ActionSpec]:
        return tuple(a.spec for a in ACTIONS)

    def _action(self, action_id: str) -> VaultAction:
        if action_id not in self._actions:
            raise ValueError(f"{CONNECTOR} has no action {action_id!r}")
        return self._actions[action_id]

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        before, changes = await self._action(action_id).read(self._vault, target)
        return ActionPlan(action_id, target.key, dict(params), before, changes)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        action = self._action(action_id)
        try:
            before, changes = await action.read(self._vault, target)
            if not changes:
                return ActionOutcome(
                    ok=True,
                    summary=f"{target.external_id}: already done",
                    before=before,
                    after=before,
                    already=True,
                    response={"already": True},
                )
            after = await action.write(self._vault, target)
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
                before, changes = await action.read(self._vault, target)
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
            after = await self._action(action_id).restore(self._vault, target, snapshot)
        except ConnectorFailure as failed:
            return ActionOutcome(ok=False, summary=failed.summary, error_code=failed.code)
        return ActionOutcome(
            ok=True, summary=f"{target.external_id}: restored", after=after, response=after
        )
