"""The one connector shape: a table of actions turned into the Connector port.

Every connector (AWS IAM, Vault, GitHub) is a table of small action classes,
each able to read the target's state, write the change and restore from a
snapshot. This base turns such a table into plan, apply, verify and undo, with
one failure type (``ConnectorFailure``) reported as an outcome, and a bounded,
non-blocking read-back for systems that are eventually consistent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from bot.core.actions import ActionOutcome, ActionPlan, ActionSpec, Verification
from bot.core.identities import AffectedIdentity


class ConnectorFailure(Exception):
    """An outcome, not a bug. ``code``: not_found, access_denied, throttled, timeout,
    unreachable, unavailable, unsafe, irreversible, invalid_target, or the system's own.
    ``after``: what did change when a change of many parts failed in some (partial)."""

    def __init__(self, code: str, summary: str, after: dict[str, object] | None = None) -> None:
        super().__init__(summary)
        self.code = code
        self.summary = summary
        self.after = dict(after or {})  # what a half-done change left behind, for the record


@dataclass(frozen=True)
class State:
    """What the target looks like now, and what the action would change (empty: done)."""

    before: dict[str, object]
    changes: dict[str, object]


Client = TypeVar("Client", contravariant=True)


class Action(Protocol[Client]):
    spec: ActionSpec

    async def read(self, client: Client, target: AffectedIdentity, params: dict[str, str]) -> State:
        """The target's state; raises ConnectorFailure when it cannot be read."""
        ...

    async def write(
        self, client: Client, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        """Make the change ``state`` calls for; return the state after."""
        ...

    async def restore(
        self,
        client: Client,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        """Put back ``snapshot`` (the plan's before), or refuse with "unsafe"/"irreversible"."""
        ...


class Irreversible:
    """For actions nothing can undo: restore refuses, saying what to do instead."""

    instead: str

    async def restore(
        self,
        client: object,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        raise ConnectorFailure("irreversible", self.instead)


C = TypeVar("C")


class TableConnector(Generic[C]):
    """The Connector port over a table of actions sharing one client."""

    rate_per_s = 10.0
    first_pause_s = 0.1
    max_pause_s = 1.0

    def __init__(
        self, name: str, client: C, actions: Sequence[Action[C]], verify_timeout_s: float = 10.0
    ) -> None:
        self.name = name
        self._client = client
        self._actions = {a.spec.id: a for a in actions}
        self._verify_timeout_s = verify_timeout_s

    def specs(self) -> Sequence[ActionSpec]:
        return tuple(a.spec for a in self._actions.values())

    def _action(self, action_id: str) -> Action[C]:
        if action_id not in self._actions:
            raise ValueError(f"{self.name} has no action {action_id!r}")
        return self._actions[action_id]

    def done(self, target: AffectedIdentity, after: Mapping[str, object]) -> str:
        """The outcome's one-line summary; connectors may say more."""
        return f"{target.external_id}: done"

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        state = await self._action(action_id).read(self._client, target, params)
        return ActionPlan(action_id, target.key, dict(params), state.before, state.changes)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        action = self._action(action_id)
        try:
            state = await action.read(self._client, target, params)
        except ConnectorFailure as failed:
            return _failed(failed)
        if not state.changes:
            return _already(target, state)
        try:
            after = await action.write(self._client, target, params, state)
        except ConnectorFailure as failed:
            return _failed(failed, state.before)
        return ActionOutcome(
            ok=True,
            summary=self.done(target, after),
            before=state.before,
            after=after,
            response=after,
        )

    async def verify(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> Verification:
        """Read back with backoff until the change shows, within the verify bound."""
        action = self._action(action_id)
        deadline, pause = time.monotonic() + self._verify_timeout_s, self.first_pause_s
        while True:
            try:
                state = await action.read(self._client, target, params)
            except ConnectorFailure as failed:
                return Verification(False, {}, failed.summary)
            if not state.changes:
                return Verification(True, state.before, "the change is visible")
            if time.monotonic() + pause > deadline:
                return Verification(
                    False, state.before, f"not visible after {self._verify_timeout_s:.0f}s"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.max_pause_s)

    async def undo(
        self,
        action_id: str,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> ActionOutcome:
        action = self._action(action_id)
        try:
            after = await action.restore(self._client, target, params, snapshot)
        except ConnectorFailure as failed:
            return _failed(failed)
        return ActionOutcome(
            ok=True, summary=f"{target.external_id}: restored", after=after, response=after
        )


def _already(target: AffectedIdentity, state: State) -> ActionOutcome:
    return ActionOutcome(
        ok=True,
        summary=f"{target.external_id}: already done",
        before=state.before,
        after=state.before,
        already=True,
        response={"already": True},
    )


def _failed(failed: ConnectorFailure, before: dict[str, object] | None = None) -> ActionOutcome:
    return ActionOutcome(
        ok=False,
        summary=failed.summary,
        error_code=failed.code,
        before=dict(before or {}),
        after=dict(failed.after),
        response=dict(failed.after),
    )
