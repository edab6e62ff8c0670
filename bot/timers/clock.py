"""APScheduler 3.x as the in-process alarm clock, nothing more.

The timers themselves live in the database, so a restart or a second replica
loses nothing: this only wakes the claimer every ``interval_s``. Misfires are
never dropped (``misfire_grace_time=None``): a wake-up that comes late still
runs, and the claimer records each timer's lateness.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.commands import CollectActivity, DeliverNotices, FireDueTimers, ReconcileIntents
from bot.core.events import Escalated
from bot.service.bus import CommandSink

log = logging.getLogger(__name__)
BATCH = 200
RECONCILE_EVERY_S = 30
NOTICE_RETRY_S = 60  # a notice not marked sent a minute after it committed goes out again


def claimer_id() -> str:
    """Names this process in the timers it fires: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class EscalationClock:
    def __init__(
        self,
        bus: CommandSink,
        interval_s: float = 1.0,
        claimer: str | None = None,
        reconcile_after_s: float = 300.0,
        notice_retry_s: float = NOTICE_RETRY_S,
    ) -> None:
        self._bus = bus
        self._notice_retry_s = notice_retry_s
        self._interval_s = interval_s
        self._reconcile_after_s = reconcile_after_s
        self.claimer = claimer or claimer_id()
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        """Must run inside the event loop. The first wake-up is immediate, so timers
        that fell due while Blastwall was down fire on start."""
        self._scheduler.add_job(
            self.wake,
            "interval",
            seconds=self._interval_s,
            next_run_time=datetime.now(UTC),
            id="blastwall-timers",
        )
        self._scheduler.add_job(
            self.reconcile,
            "interval",
            seconds=min(RECONCILE_EVERY_S, self._notice_retry_s),
            next_run_time=datetime.now(UTC),
            id="blastwall-reconcile",
        )
        self._scheduler.add_job(
            self.collect_activity,
            "interval",
            seconds=self._interval_s,
            next_run_time=datetime.now(UTC),
            id="blastwall-activity",
        )
        self._scheduler.start()

    async def wake(self) -> int:
        """Fire everything due, a batch at a time; returns how many fired here."""
        fired = 0
        while True:
            try:
                events = await self._bus.handle(FireDueTimers(self.claimer, BATCH))
            except Exception:
                log.exception("firing due timers failed; retrying on the next wake-up")
                return fired
            fired += sum(1 for e in events if isinstance(e, Escalated))
            if len(events) == 0:
                return fired

    async def reconcile(self) -> None:
        """Settle intents a crash left without an outcome (reading, never re-calling)."""
        try:
            await self._bus.handle(ReconcileIntents(self._reconcile_after_s))
            await self._bus.handle(DeliverNotices(self._notice_retry_s))
        except Exception:
            log.exception("reconciling intents or notices failed; retrying later")

    async def collect_activity(self) -> None:
        """Read the identity activity declarations and closes queued; its own job, so a
        slow vendor never delays a timer."""
        try:
            await self._bus.handle(CollectActivity(self.claimer))
        except Exception:
            log.exception("collecting identity activity failed; retrying on the next wake-up")

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
