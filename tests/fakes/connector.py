"""A Connector fake: a dictionary of target states, and a count of every change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.actions import ActionOutcome, ActionPlan, ActionSpec, Verification
from bot.core.identities import AffectedIdentity


@dataclass
class FakeConnector:
    name: str
    offered: Sequence[ActionSpec]
    states: dict[str, str] = field(default_factory=dict)
    applied: list[tuple[str, str]] = field(default_factory=list)
    undone: list[tuple[str, str]] = field(default_factory=list)
    fail_with: str | None = None

    def specs(self) -> Sequence[ActionSpec]:
        return self.offered

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        before = self.states.get(target.key, "Active")
        changes: dict[str, object] = {} if before == "Inactive" else {"status": "Inactive"}
        return ActionPlan(action_id, target.key, params, {"status": before}, changes)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        if self.fail_with:
            return ActionOutcome(ok=False, summary=self.fail_with, error_code="failed")
        before = self.states.get(target.key, "Active")
        self.applied.append((action_id, target.key))
        self.states[target.key] = "Inactive"
        return ActionOutcome(
            ok=True,
            summary=f"{target.external_id} is Inactive",
            before={"status": before},
            after={"status": "Inactive"},
            already=before == "Inactive",
        )

    async def verify(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> Verification:
        state = self.states.get(target.key, "Active")
        return Verification(state == "Inactive", {"status": state}, "read back")

    async def undo(
        self,
        action_id: str,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> ActionOutcome:
        if params.get("confirm_false_positive") != "true":
            return ActionOutcome(ok=False, summary="unsafe: rotate instead", error_code="unsafe")
        self.undone.append((action_id, target.key))
        self.states[target.key] = str(snapshot.get("status", "Active"))
        return ActionOutcome(ok=True, summary="restored", after={"status": self.states[target.key]})
