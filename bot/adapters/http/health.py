"""Operational routes: ``/healthz`` (the database answers), ``/readyz`` (and its
migrations are at head) and ``/metrics`` (Prometheus).

``/healthz`` also reports this replica's clock skew against the database. A skew
beyond the tolerance is reported (``clock_ok: false``) but still answers 200:
timers and leases follow the database's clock, so the replica keeps working
correctly; only the times it writes into evidence are off, which is for an
operator to fix, not a reason to take containment offline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.adapters.http.outage import RETRY_AFTER_S
from bot.service.actions.containment_time import ALERT_TO_CONTAINED
from bot.service.checkpoints import REFUSALS
from bot.timers.system_clock import ClockReport


class Probe(Protocol):
    async def ping(self) -> None: ...

    async def counts(self) -> dict[str, dict[str, int]]:
        """{"incidents": {status: n}, "requests": {status: n}}."""
        ...


class _Snapshot(Collector):
    def __init__(self, counts: dict[str, dict[str, int]]) -> None:
        self._counts = counts

    def collect(self):  # type: ignore[no-untyped-def]
        for name, by_status in self._counts.items():
            family = GaugeMetricFamily(
                f"blastwall_{name}", f"Blastwall {name} by status", labels=["status"]
            )
            for status, n in sorted(by_status.items()):
                family.add_metric([status], n)
            yield family


def health_router(
    probe: Probe,
    clock_check: Callable[[], Awaitable[ClockReport]] | None = None,
    unready: Callable[[], Awaitable[str | None]] | None = None,
    extra_metrics: Collector | None = None,
    outbox: Callable[[], Awaitable[Collector]] | None = None,
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 when the database answers, 503 (with Retry-After) otherwise; with the clock skew."""
        try:
            await probe.ping()
            clock = (await clock_check()).as_json() if clock_check else {}
        except Exception as exc:
            return JSONResponse(
                {"status": "unavailable", "reason": type(exc).__name__},
                503,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        return JSONResponse({"status": "ok", **clock})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        """200 when the database answers and its migrations are at head; else 503 and why."""
        reason = await unready() if unready else None
        if reason is not None:
            return JSONResponse(
                {"status": "not ready", "reason": reason},
                503,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        return JSONResponse({"status": "ready"})

    @router.get("/metrics")
    async def metrics() -> Response:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot(await probe.counts()))
        registry.register(REFUSALS)  # checkpoints refused over a rewritten ledger
        registry.register(ALERT_TO_CONTAINED)  # automatic containment, alert to contained
        if extra_metrics is not None:
            registry.register(extra_metrics)  # the service's histograms (bot.core.ports.Metrics)
        if outbox is not None:
            registry.register(await outbox())  # the outbox's backlog, read now
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    return router
