"""Connector call latency, by system, call and outcome, for ``/metrics``.

Every connector is wrapped once by the composition root, so each call site in
the service (plan, apply, verify, undo) is timed the same way without each one
remembering to. Anything else a connector offers (an activity source, a rate)
is passed straight through.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from opentelemetry import trace

from bot.core.actions import ActionOutcome, ActionPlan, Verification
from bot.core.identities import AffectedIdentity
from bot.core.measures import CONNECTOR_CALL
from bot.core.ports import Connector, Metrics

T = TypeVar("T")
TRACER = trace.get_tracer("blastwall.connectors")


class TimedConnector:
    """A ``Connector`` that records how long each call to the one it wraps took."""

    def __init__(self, inner: Connector, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.name = inner.name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._inner, attribute)

    def specs(self) -> Any:
        return self._inner.specs()

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        return await self._timed("plan", self._inner.plan(action_id, target, params))

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        return await self._timed("apply", self._inner.apply(action_id, target, params))

    async def verify(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> Verification:
        return await self._timed("verify", self._inner.verify(action_id, target, params))

    async def undo(
        self,
        action_id: str,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> ActionOutcome:
        return await self._timed("undo", self._inner.undo(action_id, target, params, snapshot))

    async def _timed(self, call: str, running: Awaitable[T]) -> T:
        started = time.perf_counter()
        outcome = "error"
        span = TRACER.start_as_current_span(f"connector {self.name}.{call}")
        try:
            with span as current:
                current.set_attribute("blastwall.system", self.name)
                result = await running
            outcome = _outcome(result)
            return result
        finally:
            labels = {"system": self.name, "call": call, "outcome": outcome}
            self._metrics.observe(CONNECTOR_CALL, time.perf_counter() - started, labels)


def _outcome(result: object) -> str:
    if isinstance(result, ActionOutcome):
        return "ok" if result.ok else "failed"
    if isinstance(result, Verification):
        return "ok" if result.confirmed else "unconfirmed"
    return "ok"


def timed(connectors: Mapping[str, Connector], metrics: Metrics) -> dict[str, Connector]:
    """Every connector, timed."""
    return {name: TimedConnector(c, metrics) for name, c in connectors.items()}
