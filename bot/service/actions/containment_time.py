"""How long automatic containment took, from the alert to the verified change.

The same number goes into the ledger (``alert_to_contained_s`` on the action's
settled entry, for a review to show) and into ``/metrics`` as a histogram, for
whoever watches how fast the guard rails let containment happen.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Histogram

ALERT_TO_CONTAINED = Histogram(
    "blastwall_automatic_alert_to_contained_seconds",
    "Seconds from an alert to its automatic containment action's recorded success",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=None,  # served by /metrics alongside the per-request snapshot
)


def seconds_between(alert_at: datetime, settled_at: datetime) -> float:
    """Never negative: two replicas' clocks may disagree by a little."""
    return round(max((settled_at - alert_at).total_seconds(), 0.0), 3)
