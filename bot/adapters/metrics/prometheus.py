"""The ``Metrics`` port as Prometheus histograms, plus the outbox's backlog gauges.

One instance per process, registered into ``/metrics``'s per-scrape registry
(histograms are created with ``registry=None`` so no global state leaks between
apps served in one test process). An unknown label is dropped rather than
raised: a measurement must never fail the containment it measures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.core.measures import MEASURES, Measure

log = logging.getLogger(__name__)


class PrometheusMetrics(Collector):
    def __init__(self, measures: tuple[Measure, ...] = MEASURES) -> None:
        self._histograms = {
            m.name: Histogram(m.name, m.help, m.labels, buckets=m.buckets, registry=None)
            for m in measures
        }
        self._measures = {m.name: m for m in measures}

    def observe(
        self, measure: Measure, value: float, labels: Mapping[str, str] | None = None
    ) -> None:
        histogram = self._histograms.get(measure.name)
        if histogram is None:
            log.warning("no histogram %s; measurement dropped", measure.name)
            return
        given = labels or {}
        values = [str(given.get(name, "")) for name in self._measures[measure.name].labels]
        target = histogram.labels(*values) if values else histogram
        target.observe(max(value, 0.0))

    def collect(self) -> Iterator[Metric]:
        for histogram in self._histograms.values():
            yield from histogram.collect()


class OutboxGauges(Collector):
    """The outbox's backlog as read for one scrape."""

    def __init__(self, unsent: int, oldest_s: float) -> None:
        self._unsent = unsent
        self._oldest_s = oldest_s

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "blastwall_outbox_backlog", "Notices committed but not yet sent", value=self._unsent
        )
        yield GaugeMetricFamily(
            "blastwall_outbox_oldest_age_seconds",
            "Seconds the oldest unsent notice has waited (0 when none wait)",
            value=self._oldest_s,
        )
