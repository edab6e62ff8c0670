"""Ack latency benchmark: how soon is a signed click answered, against the floor?

Runs a real ``blastwall serve`` with the Slack stand-in and moto, and measures in
the same run:

- the floor: ``/healthz`` round trip p99 + one bare durable SQLite commit p99
  (WAL, synchronous=FULL) in serve's working directory (same disk);
- signed Slack clicks (each a fresh request: one more key to deactivate) at 20, 50
  and 100 per second, and 8 at a time: HTTP answer p50/p99 and p99 / floor;
- alert -> card: sequential alerts, then a burst of 50 with the stand-in enforcing
  Slack's tier 2 on ``conversations.create`` (scaled ``--tier-scale`` times faster,
  serve paced to match): every room opened, and how many 429s the tier gave.

On SQLite, and on PostgreSQL when one answers on 127.0.0.1:5432. It prints
figures; it asserts nothing about speed.

    python bench/latency.py [--databases sqlite,postgresql] [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.adapters.slack.blocks import ACTION_PREFIX
from bot.adapters.slack.payloads import encode_action
from bot.storage.database import make_engine
from bot.storage.models import ActionRequestRow
from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
IC, IAM = "UCOMMANDER1", "UIAMENG01"
TOKEN, SECRET, INTAKE = "xoxb-bench-0000000000-latency", "bench-signing-secret-0123", "bench"
ACTION = "aws.iam.deactivate_access_key"
KEYS_PER_INCIDENT = 25  # a card with a few dozen identities, redrawn after each click
TIER = 20  # conversations.create per minute (Slack's tier 2)
REFUSED: list[int] = []  # clicks not answered 200, by status
UNPOOLED = httpx.Limits(max_connections=None)  # an open loop must not queue in the client
PLAYBOOK = f"""\
name: bench
title: Leaked key
trigger:
  sources: [scanner]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
actions:
  - action: {ACTION}
    label: Deactivate key
"""


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if values else 0.0


def ms(value: float) -> str:
    return f"{value * 1000:7.1f} ms"


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    workdir: Path
    database_url: str


async def quiet(served: Served, deadline_s: float = 600) -> float:
    """Wait until no request is running (the work left after the answers is done)."""
    engine = make_engine(served.database_url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < deadline_s:
            async with engine.connect() as conn:
                running = (
                    await conn.execute(
                        select(func.count())
                        .select_from(ActionRequestRow)
                        .where(ActionRequestRow.status == "running")
                    )
                ).scalar_one()
            if running == 0:
                return time.perf_counter() - started
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    raise RuntimeError("requests still running")


def bare_commits(workdir: Path, n: int = 300) -> list[float]:
    """One row per transaction, WAL and synchronous=FULL: the disk's durable commit."""
    db = sqlite3.connect(workdir / "floor.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
    took = []
    for i in range(n):
        started = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT INTO t VALUES (?)", (str(i),))
        db.execute("COMMIT")
        took.append(time.perf_counter() - started)
    db.close()
    return took


async def healthz(web: httpx.AsyncClient, url: str, n: int = 300) -> list[float]:
    took = []
    for _ in range(n):
        started = time.perf_counter()
        answer = await web.get(f"{url}/healthz")
        took.append(time.perf_counter() - started)
        answer.raise_for_status()
    return took


def click_body(incident: str, target: str, channel: str, ts: str) -> bytes:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": IAM, "username": "iam", "team_id": "T0TEST"},
        "api_app_id": "A0BLASTWALL",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": f"{time.time_ns()}.trigger",
        "channel": {"id": channel, "name": "incident"},
        "message": {"type": "message", "ts": ts, "text": "card"},
        "response_url": "http://127.0.0.1:9/response_url/x",
        "actions": [
            {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}0",
                "block_id": "bw.actions.0",
                "value": encode_action(incident, ACTION, target),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(payload)}).encode()


async def click(web: httpx.AsyncClient, url: str, body: bytes) -> float:
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": SlackDriver(url, SECRET).sign(body, stamp),
    }
    started = time.perf_counter()
    answer = await web.post(f"{url}/slack/events", content=body, headers=headers)
    took = time.perf_counter() - started
    if answer.status_code != 200:  # overload: counted, not timed (Slack would show an error)
        REFUSED.append(answer.status_code)
        return -1.0
    return took


async def at_rate(rate: float, bodies: list[bytes], send: Callable[[bytes], Awaitable[float]]):  # type: ignore[no-untyped-def]
    """Open loop: click i is sent at i / rate whatever the answers before it."""
    start = time.perf_counter()

    async def one(i: int, body: bytes) -> float:
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        return await send(body)

    return list(await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies))))


async def concurrently(n: int, bodies: list[bytes], send: Callable[[bytes], Awaitable[float]]):  # type: ignore[no-untyped-def]
    queue = list(reversed(bodies))
    took: list[float] = []

    async def worker() -> None:
        while queue:
            took.append(await send(queue.pop()))

    await asyncio.gather(*(worker() for _ in range(n)))
    return took


def seed_keys(moto: str, count: int) -> list[tuple[str, str]]:
    iam = boto3.client(
        "iam",
        endpoint_url=moto,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    keys = []
    base = f"b{time.time_ns() % 10**8}"
    for n in range((count + 1) // 2):
        user = f"{base}-{n}"
        iam.create_user(UserName=user)
        for _ in range(2):
            keys.append((user, iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]))
    return keys[:count]


def alert(keys: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "source": "scanner",
        "severity": "SEV2",
        "summary": "keys were pushed",
        "identities": [
            {"system": "aws", "kind": "access_key", "id": key, "attributes": {"user": user}}
            for user, key in keys
        ],
    }


async def post_alert(web: httpx.AsyncClient, url: str, body: dict[str, Any]) -> str:
    answer = await web.post(
        f"{url}/alerts", json=body, headers={"Authorization": f"Bearer {INTAKE}"}
    )
    answer.raise_for_status()
    return str(answer.json()["incident"])


async def card_of(slack: SlackStandIn, incident: str, deadline_s: float = 600) -> tuple[str, str]:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        channel = slack.channel_named_prefix(incident.lower())
        card = slack.card_in(channel.id) if channel else None
        if channel is not None and card is not None:
            return channel.id, card.ts
        await asyncio.sleep(0.01)
    raise RuntimeError(f"no card for {incident} within {deadline_s}s")


def start_serve(
    database_url: str, workdir: Path, moto: str, slack_url: str, scale: float
) -> Served:
    playbooks = workdir / "playbooks"
    playbooks.mkdir()
    (playbooks / "bench.yaml").write_text(PLAYBOOK)
    port = free_port()
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BLASTWALL_", "SLACK_"))}
    env = {
        **keep,
        "BLASTWALL_DATABASE_URL": database_url,
        "BLASTWALL_PLAYBOOKS": str(playbooks),
        "BLASTWALL_INTAKE_TOKEN": INTAKE,
        "BLASTWALL_SIGNING_KEY": str(workdir / "signing.pem"),
        "BLASTWALL_AWS_ENDPOINT_URL": moto,
        "BLASTWALL_AWS_ACCESS_KEY_ID": "bench",
        "BLASTWALL_AWS_SECRET_ACCESS_KEY": "bench",
        "BLASTWALL_AWS_RATE_PER_S": "1000",
        "BLASTWALL_SLACK_CREATE_LIMIT": str(TIER),
        "BLASTWALL_SLACK_CREATE_WINDOW": str(60 / scale),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "serve.log", "wb"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Served(url, process, workdir, database_url)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"serve did not start: {(workdir / 'serve.log').read_text()[-2000:]}")


async def clicks(served: Served, slack: SlackStandIn, moto: str, args: argparse.Namespace) -> None:
    rates = [20, 50, 100]
    wanted = sum(int(r * args.seconds) for r in rates) + args.concurrent_clicks
    incidents = (wanted + KEYS_PER_INCIDENT - 1) // KEYS_PER_INCIDENT
    keys = await asyncio.to_thread(seed_keys, moto, incidents * KEYS_PER_INCIDENT)
    targets: list[bytes] = []
    async with httpx.AsyncClient(timeout=120, limits=UNPOOLED) as web:
        for n in range(incidents):
            chunk = keys[n * KEYS_PER_INCIDENT : (n + 1) * KEYS_PER_INCIDENT]
            incident = await post_alert(web, served.url, alert(chunk))
            channel, ts = await card_of(slack, incident)
            targets += [click_body(incident, f"aws:access_key:{k}", channel, ts) for _, k in chunk]
        floor_http = await healthz(web, served.url)
        floor_disk = await asyncio.to_thread(bare_commits, served.workdir)
        floor = pct(floor_http, 99) + pct(floor_disk, 99)
        print(
            f"  floor: /healthz p99 {ms(pct(floor_http, 99))} + bare commit p99 "
            f"{ms(pct(floor_disk, 99))} = {ms(floor)}"
        )

        async def send(body: bytes) -> float:
            return await click(web, served.url, body)

        for rate in rates:
            batch, targets = (
                targets[: int(rate * args.seconds)],
                targets[int(rate * args.seconds) :],
            )
            took = await at_rate(rate, batch, send)
            report(f"{rate:>3} clicks/s", took, floor, await quiet(served))
        batch = targets[: args.concurrent_clicks]
        took = await concurrently(8, batch, send)
        report("  8 at a time", took, floor, await quiet(served))


def report(label: str, took: list[float], floor: float, tail_s: float) -> None:
    answered = [t for t in took if t >= 0]
    p50, p99 = pct(answered, 50), pct(answered, 99)
    refused = f", {len(took) - len(answered)} not 200 ({sorted(set(REFUSED))})" if REFUSED else ""
    REFUSED.clear()
    print(
        f"  {label} ({len(took):4d} clicks{refused}): ack p50 {ms(p50)}  p99 {ms(p99)}  "
        f"p99/floor {p99 / floor:5.2f}x  (all settled {tail_s:4.1f} s after the last ack)"
    )


async def alerts_to_cards(served: Served, slack: SlackStandIn, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(timeout=120, limits=UNPOOLED) as web:
        took = []
        for n in range(args.sequential_alerts):
            started = time.perf_counter()
            incident = await post_alert(web, served.url, alert([(f"seq{n}", f"AKIASEQ{n:013d}")]))
            answered = time.perf_counter() - started
            await card_of(slack, incident)
            took.append((answered, time.perf_counter() - started))
        print(
            f"  sequential alerts ({len(took)}): 202 p50 {ms(pct([a for a, _ in took], 50))}, "
            f"card p50 {ms(pct([c for _, c in took], 50))} p99 {ms(pct([c for _, c in took], 99))}"
        )
        refused_before = slack.tier_refusals["conversations.create"]
        started = time.perf_counter()
        bodies = [alert([(f"burst{n}", f"AKIABURST{n:011d}")]) for n in range(args.burst)]
        incidents = await asyncio.gather(*(post_alert(web, served.url, b) for b in bodies))
        answered = time.perf_counter() - started
        done = []
        for incident in incidents:
            await card_of(slack, incident)
            done.append(time.perf_counter() - started)
    refused = slack.tier_refusals["conversations.create"] - refused_before
    print(
        f"  burst of {args.burst} alerts: all 202 in {ms(answered)}; {len(done)}/{args.burst} "
        f"cards, last after {max(done):6.1f} s; tier 429s: {refused}"
    )


async def fresh_database(kind: str, workdir: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}", None
    name = f"blastwall_bench_{time.time_ns() % 10**10}"
    conn = await asyncpg.connect(PG_SERVER)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def drop(name: str | None) -> None:
    if name:
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def postgres_answers() -> bool:
    try:
        conn = await asyncpg.connect(PG_SERVER, timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{endpoint}/moto-api/reset", timeout=1)
            return process, endpoint
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("moto did not start")


async def one_database(kind: str, moto: str, args: argparse.Namespace) -> None:
    slack = SlackStandIn(TOKEN, users=[IC, IAM])
    slack.enforce_tier("conversations.create", TIER, 60 / args.tier_scale)
    with tempfile.TemporaryDirectory() as tmp, ServedApp(slack.app) as slack_served:
        workdir = Path(tmp)
        url, name = await fresh_database(kind, workdir)
        served = await asyncio.to_thread(
            start_serve, url, workdir, moto, slack_served.url, args.tier_scale
        )
        try:
            print(f"== {kind}")
            await clicks(served, slack, moto, args)
            await alerts_to_cards(served, slack, args)
        finally:
            served.process.terminate()
            served.process.wait(timeout=60)
            await drop(name)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=4.0, help="per click rate")
    parser.add_argument("--concurrent-clicks", type=int, default=200)
    parser.add_argument("--sequential-alerts", type=int, default=10)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--tier-scale", type=float, default=10.0, help="tier 2, this much faster")
    args = parser.parse_args()
    moto, endpoint = start_moto()
    print(
        f"tier 2 scaled {args.tier_scale:g}x: {TIER} conversations.create per "
        f"{60 / args.tier_scale:g} s, enforced by the stand-in"
    )
    try:
        for kind in args.databases.split(","):
            if kind == "postgresql" and not await postgres_answers():
                print("== postgresql: SKIPPED, nothing answers on 127.0.0.1:5432")
                continue
            await one_database(kind, endpoint, args)
    finally:
        moto.terminate()
        moto.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
