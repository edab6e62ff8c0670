"""Bulk containment benchmark: N access keys deactivated with bounded concurrency,
against doing them one by one, on a local moto server. Prints figures only.

    python bench/bulk.py [--keys 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

import boto3
import httpx
from aiolimiter import AsyncLimiter

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
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=1000.0, help="calls per second cap")
    args = parser.parse_args()
    port = _free_port()
    # moto in its own process, so its work does not share this process's GIL
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait(endpoint)
        serial = await _run(endpoint, _keys(endpoint, args.keys), 1, args.rate)
        bulk = await _run(endpoint, _keys(endpoint, args.keys), args.concurrency, args.rate)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"{args.keys} keys one by one:          {serial:7.2f} s  ({args.keys / serial:6.1f} keys/s)"
    )
    print(
        f"{args.keys} keys, concurrency {args.concurrency:>2}:     {bulk:7.2f} s  "
        f"({args.keys / bulk:6.1f} keys/s, {serial / bulk:.1f}x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
