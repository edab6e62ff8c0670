"""Operational routes: ``/healthz`` (the database answers) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.checkpoints import REFUSALS


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


def health_router(probe: Probe) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 when the database answers, 503 otherwise."""
        try:
            await probe.ping()
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, 503)
        return JSONResponse({"status": "ok"})

    @router.get("/metrics")
    async def metrics() -> Response:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot(await probe.counts()))
        registry.register(REFUSALS)  # checkpoints refused over a rewritten ledger
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    return router
