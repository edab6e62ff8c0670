"""Two replicas firing the same due timers at once offer command exactly once: the
offer is recorded in the transaction that claims the timer, so only the replica that
wins the claim (SKIP LOCKED on PostgreSQL) makes it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.commands import FireDueTimers
from bot.core.escalation import StallKind, Step, StepEnd
from bot.core.events import Event, HandoffProposed
from tests.reliability import conftest
from tests.reliability.conftest import Cluster, declare
from tests.service.conftest import PLAYBOOK

pytestmark = pytest.mark.db
OFFERING = replace(
    PLAYBOOK,
    groups={**PLAYBOOK.groups, "directors": frozenset({"slack:UDIR"})},
    escalation={
        StallKind.COMMANDER_NOT_ACKNOWLEDGED: (
            Step(5, end=StepEnd.REASK),
            Step(15, notify=("group:directors",), end=StepEnd.OFFER_COMMAND),
        ),
    },
)


async def test_two_replicas_racing_the_offer_step_offer_command_once(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conftest, "PLAYBOOK", OFFERING)  # the replicas' playbook
    # Declared forty minutes ago: the re-ask (5 min) and the offer (15 more) are due.
    earlier = cluster.replica(ahead=-timedelta(minutes=40))
    incident_id = await declare(earlier)
    one, two = cluster.replica(), cluster.replica()
    offered: list[Event] = []
    for _ in range(3):  # the re-ask, the offer it arms, and a pass with nothing left
        for events in await asyncio.gather(
            one.bus.handle(FireDueTimers("one", 100)), two.bus.handle(FireDueTimers("two", 100))
        ):
            offered += [e for e in events if isinstance(e, HandoffProposed)]
    assert len(offered) == 1
    entries = await cluster.entries(incident_id)
    assert sum(1 for e in entries if e["what"] == "handoff proposed") == 1
    handoff = (await cluster.incident(incident_id)).pending_handoff
    assert handoff is not None and handoff.by_escalation
