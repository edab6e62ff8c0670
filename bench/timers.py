"""Escalation timer benchmark: how late and how fast do due timers fire?

Seeds N pending timers falling due over a window, starts one or two
``blastwall serve`` processes on the same database, waits until every timer
has fired, and prints the lateness distribution (p50/p99/max) and the firing
throughput. Runs on SQLite, and on PostgreSQL when one answers on
127.0.0.1:5432. It prints figures; it asserts nothing about speed, but it
fails if any timer's firing is on record other than exactly once.

    python bench/timers.py                       # the whole matrix, 10,000 timers
    python bench/timers.py --timers 2000 --processes 2 --databases sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from bench_databases import drop_database, fresh_database, postgres_answers
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.actors import Actor
from bot.core.incidents import Environment, Incident, Severity
from bot.core.redaction import Redactor
from bot.storage.migrate import upgrade
from bot.storage.models import EvidenceEntryRow, TimerRow
from bot.storage.unit_of_work import Database

INCIDENTS = 10
LEAD_S = 5.0  # time to start the processes before the first timer falls due
DEADLINE_S = 900


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _seed(url: str, timers: int, spread_s: float) -> datetime:
    await upgrade(url)
    database = Database(url, Redactor(b"bench-redaction-key-0123456789ab").redact_body)
    start = datetime.now(UTC) + timedelta(seconds=LEAD_S)
    ids = [f"INC-20261122-{n:04d}" for n in range(1, INCIDENTS + 1)]
    try:
        async with database.uow() as uow:
            for incident_id in ids:
                await uow.incidents.add(
                    Incident(
                        id=incident_id,
                        title="bench",
                        severity=Severity.SEV3,
                        environment=Environment.PRODUCTION,
                        playbook="leaked-cloud-access-key",
                        declared_at=start,
                        declared_by=Actor("slack", "U0EXAMPLE1"),
                    )
                )
            await uow.commit()
        rows = [
            {
                "incident_id": ids[n % INCIDENTS],
                "kind": "no_status_update",
                "subject": f"bench-{n}",
                "generation": 1,
                "step": 0,
                "started_at": start,
                "due_at": start + timedelta(seconds=spread_s * n / timers),
                "state": "pending",
            }
            for n in range(timers)
        ]
        async with database.engine.begin() as conn:
            for i in range(0, len(rows), 1000):
                await conn.execute(insert(TimerRow), rows[i : i + 1000])
    finally:
        await database.dispose()
    return start


def _serve(url: str, workdir: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLASTWALL_", "SLACK_"))}
    env |= {
        "BLASTWALL_DATABASE_URL": url,
        "BLASTWALL_TIMER_INTERVAL": "0.1",
        "BLASTWALL_SIGNING_KEY": str(workdir / "signing.pem"),
    }
    log = (workdir / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _fired(url: str, timers: int) -> list[tuple[float, datetime, str]]:
    database = Database(url, Redactor(b"bench-redaction-key-0123456789ab").redact_body)
    deadline = time.monotonic() + DEADLINE_S
    try:
        while True:
            async with database.engine.connect() as conn:
                done = (
                    await conn.execute(
                        select(func.count())
                        .select_from(TimerRow)
                        .where(
                            TimerRow.state == "fired",
                            TimerRow.step == 0,
                            TimerRow.subject.like("bench-%"),
                        )
                    )
                ).scalar_one()
                if done >= timers:
                    return await _results(conn)
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done} of {timers} timers fired in {DEADLINE_S}s")
            await asyncio.sleep(0.5)
    finally:
        await database.dispose()


async def _results(conn: AsyncConnection) -> list[tuple[float, datetime, str]]:
    """(lateness, fired at, fired by) of each bench timer, once each is known to have
    fired exactly once."""
    rows = await conn.execute(
        select(TimerRow.id, TimerRow.lateness_seconds, TimerRow.fired_at, TimerRow.fired_by).where(
            TimerRow.subject.like("bench-%"), TimerRow.step == 0
        )
    )
    fired = rows.all()
    await _exactly_once(conn, {int(row[0]) for row in fired})
    return [(float(late), at, str(by)) for _, late, at, by in fired]


async def _exactly_once(conn: AsyncConnection, timer_ids: set[int]) -> None:
    """Each timer's firing is in the evidence exactly once, whichever process fired it."""
    lines = await conn.execute(
        select(EvidenceEntryRow.line).where(
            EvidenceEntryRow.line.contains("escalation timer fired")
        )
    )
    entries = Counter(int(json.loads(line)["details"]["timer"]) for line in lines.scalars())
    twice = sorted(t for t in timer_ids if entries[t] > 1)
    missing = sorted(t for t in timer_ids if entries[t] == 0)
    if twice or missing:
        raise RuntimeError(f"fired twice: {twice[:10]}; never recorded: {missing[:10]}")


async def run(kind: str, processes: int, timers: int, spread_s: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="blastwall-bench-") as tmp:
        workdir = Path(tmp)
        url, dropme = await fresh_database(kind, workdir)
        try:
            await _seed(url, timers, spread_s)
            servers = [_serve(url, workdir, f"serve-{i}") for i in range(processes)]
            try:
                for _, base in servers:
                    _wait_healthy(base)
                fired = await _fired(url, timers)
            finally:
                for process, _ in servers:
                    process.terminate()
                    process.wait(timeout=30)
        finally:
            await drop_database(dropme)
    lateness = sorted(f[0] for f in fired)
    times = sorted(f[1] for f in fired)
    span = max((times[-1] - times[0]).total_seconds(), 1e-9)
    return {
        "database": kind,
        "processes": processes,
        "timers": len(fired),
        "p50_s": statistics.median(lateness),
        "p99_s": lateness[int(0.99 * (len(lateness) - 1))],
        "max_s": lateness[-1],
        "fired_per_s": len(fired) / span,
        "by_process": sorted(sum(1 for f in fired if f[2] == c) for c in {f[2] for f in fired}),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument(
        "--spread", type=float, default=20.0, help="seconds over which the timers fall due"
    )
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    databases = list(args.databases)
    if "postgresql" in databases and not await postgres_answers():
        print("PostgreSQL is not answering on 127.0.0.1:5432: skipping it")
        databases.remove("postgresql")
    print(
        f"{'database':<11}{'procs':>6}{'timers':>8}{'p50 s':>9}{'p99 s':>9}{'max s':>9}"
        f"{'fired/s':>10}  per process"
    )
    for kind in databases:
        for processes in args.processes:
            r = await run(kind, processes, args.timers, args.spread)
            print(
                f"{r['database']:<11}{r['processes']:>6}{r['timers']:>8}{r['p50_s']:>9.3f}"
                f"{r['p99_s']:>9.3f}{r['max_s']:>9.3f}{r['fired_per_s']:>10.1f}  "
                f"{r['by_process']}",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
