"""What the service measures for ``/metrics``, named once so the service, the
Prometheus adapter and the tests agree on it. Stdlib only: the service records
through the ``Metrics`` port and never imports a metrics library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """One histogram: its name on ``/metrics``, what it means, its label names."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


TIME_TO_ACKNOWLEDGE = Measure(
    "blastwall_time_to_acknowledge_seconds",
    "Seconds from an incident's declaration to its commander acknowledging command",
)
TIME_TO_CONTAIN = Measure(
    "blastwall_time_to_contain_seconds",
    "Seconds from an incident's declaration to a containment action's recorded success",
    labels=("action",),
)
CLICK_TO_ACK = Measure(
    "blastwall_click_to_ack_seconds",
    "Seconds from a chat click arriving to its acknowledgement going back (Slack wants <3s)",
    labels=("platform",),
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
CONNECTOR_CALL = Measure(
    "blastwall_connector_call_seconds",
    "Seconds one connector call (plan, apply, verify, undo) took, by system and outcome",
    labels=("system", "call", "outcome"),
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
TIMER_LATENESS = Measure(
    "blastwall_timer_lateness_seconds",
    "Seconds an escalation timer fired after it was due",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
MEASURES = (TIME_TO_ACKNOWLEDGE, TIME_TO_CONTAIN, CLICK_TO_ACK, CONNECTOR_CALL, TIMER_LATENESS)


class Unmeasured:
    """The ``Metrics`` port that records nothing: the default where nobody scrapes."""

    def observe(
        self, measure: Measure, value: float, labels: Mapping[str, str] | None = None
    ) -> None:
        return None


UNMEASURED = Unmeasured()
