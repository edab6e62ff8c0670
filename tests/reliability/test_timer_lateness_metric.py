"""A timer that fires late is measured: its lateness goes to the ``Metrics`` port
(``blastwall_timer_lateness_seconds`` on ``/metrics``), the same number the ledger's
"escalation timer fired" entry carries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.commands import FireDueTimers
from bot.core.measures import TIMER_LATENESS
from tests.fakes.metrics import RecordingMetrics
from tests.reliability.conftest import Cluster, declare

pytestmark = pytest.mark.db


async def test_a_late_timer_records_its_lateness(cluster: Cluster) -> None:
    incident_id = await declare(cluster.replica(ahead=-timedelta(minutes=10)))
    metrics = RecordingMetrics()
    await cluster.replica(metrics=metrics).bus.handle(FireDueTimers("now", 100))
    (lateness,) = metrics.values(TIMER_LATENESS)
    fired = [e for e in await cluster.entries(incident_id) if e["what"] == "escalation timer fired"]
    details = fired[0]["details"]
    assert isinstance(details, dict)
    assert lateness == pytest.approx(float(details["lateness_seconds"]), abs=0.01)
    assert 290 <= lateness < 900  # due five minutes after a declaration ten minutes ago
