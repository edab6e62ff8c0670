"""Bulk containment benchmark: N access keys deactivated with bounded concurrency,
against doing them one by one, on a local moto server behind a proxy that adds
~50 ms to every call (a real cloud API's latency). Prints figures only.

    python bench/bulk.py [--keys 200] [--concurrency 16] [--delay-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import httpx
from aiolimiter import AsyncLimiter

from bot.app import BLOCKING_THREADS
from bot.config import Settings
from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.aws_iam.connector import AwsIamConnector

CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(endpoint: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{endpoint}/moto-api/reset", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("moto did not start")


def _keys(endpoint: str, count: int) -> list[AffectedIdentity]:
    httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)
    keys = []
    for n in range((count + 1) // 2):
        iam.create_user(UserName=f"u{n}")
        for _ in range(2):
            key_id = iam.create_access_key(UserName=f"u{n}")["AccessKey"]["AccessKeyId"]
            keys.append(
                AffectedIdentity(
                    "aws", IdentityKind.ACCESS_KEY, key_id, attributes=(("user", f"u{n}"),)
                )
            )
    return keys[:count]


async def _run(endpoint: str, keys: list[AffectedIdentity], concurrency: int, rate: float) -> float:
    aws = AwsIamConnector(
        endpoint_url=endpoint,
        rate_per_s=rate,
        **{"access_key_id": "bench", "secret_access_key": "bench"},
    )
    gate, limiter = asyncio.Semaphore(concurrency), AsyncLimiter(rate, 1)

    async def one(key: AffectedIdentity) -> bool:
        async with gate, limiter:
            return (await aws.apply("aws.iam.deactivate_access_key", key, {})).ok

    started = time.perf_counter()
    results = await asyncio.gather(*(one(k) for k in keys))
    elapsed = time.perf_counter() - started
    assert all(results), "a deactivation failed"
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=1000.0, help="calls per second cap")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="added to every call")
    args = parser.parse_args()
    # as in ``blastwall serve``: boto3 blocks a thread per call
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(BLOCKING_THREADS))
    port, proxy_port = _free_port(), _free_port()
    # moto in its own process, so its work does not share this process's GIL
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint, proxied = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{proxy_port}"
    proxy = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("proxy.py")),
            "--target",
            endpoint,
            "--port",
            str(proxy_port),
            "--delay-ms",
            str(args.delay_ms),
        ],
    )
    figures = []
    try:
        _wait(endpoint)
        _wait(proxied)
        serial = await _run(proxied, _keys(endpoint, args.keys), 1, args.rate)
        default = Settings().bulk_concurrency  # BLASTWALL_BULK_CONCURRENCY
        for concurrency in sorted({default, args.concurrency}):
            took = await _run(proxied, _keys(endpoint, args.keys), concurrency, args.rate)
            figures.append((concurrency, took))
    finally:
        for process in (proxy, server):
            process.terminate()
            process.wait(timeout=30)
    print(f"every call +{args.delay_ms:.0f} ms (proxy in front of moto)")
    print(
        f"{args.keys} keys one by one:          {serial:7.2f} s  ({args.keys / serial:6.1f} keys/s)"
    )
    for concurrency, took in figures:
        product = "  (the bulk executor's)" if concurrency == default else ""
        print(
            f"{args.keys} keys, concurrency {concurrency:>2}:     {took:7.2f} s  "
            f"({args.keys / took:6.1f} keys/s, {serial / took:.1f}x one by one){product}"
        )


if __name__ == "__main__":
    asyncio.run(main())
