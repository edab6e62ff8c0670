"""The ``Metrics`` port's fake: keeps every observation, for asserting on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.measures import Measure


@dataclass
class RecordingMetrics:
    seen: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)

    def observe(
        self, measure: Measure, value: float, labels: Mapping[str, str] | None = None
    ) -> None:
        self.seen.append((measure.name, value, dict(labels or {})))

    def values(self, measure: Measure) -> list[float]:
        return [value for name, value, _ in self.seen if name == measure.name]
