"""Memory benchmark: the resident set of ``blastwall serve``, idle and with 1,000 open
incidents (declared through ``/alerts``, one identity each, on SQLite, console only).
Prints figures; asserts nothing.

    python bench/memory.py [--incidents 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.servers import free_port

INTAKE = "bench"
PLAYBOOK = """\
name: bench
title: Leaked key
trigger:
  sources: [scanner]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "console:alice"
rights:
  nhi.credential-lifecycle: ["console:alice"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def serve(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    (workdir / "playbooks").mkdir()
    (workdir / "playbooks" / "bench.yaml").write_text(PLAYBOOK)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BLASTWALL_", "SLACK_"))}
    env = {
        **keep,
        "BLASTWALL_PLAYBOOKS": str(workdir / "playbooks"),
        "BLASTWALL_INTAKE_TOKEN": INTAKE,
    }
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("serve did not start")


async def declare(url: str, count: int) -> None:
    queue = list(range(count))

    async def worker(web: httpx.AsyncClient) -> None:
        while queue:
            n = queue.pop()
            answer = await web.post(
                f"{url}/alerts",
                json={
                    "source": "scanner",
                    "severity": "SEV2",
                    "summary": f"key {n} was pushed",
                    "identity": {"system": "aws", "kind": "access_key", "id": f"AKIAMEM{n:013d}"},
                },
                headers={"Authorization": f"Bearer {INTAKE}"},
            )
            answer.raise_for_status()

    async with httpx.AsyncClient(timeout=60) as web:
        await asyncio.gather(*(worker(web) for _ in range(8)))
        (await web.get(f"{url}/healthz")).raise_for_status()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--settle-s", type=float, default=5.0, help="wait before reading RSS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = serve(Path(tmp))
        try:
            await asyncio.sleep(args.settle_s)
            idle = rss_mb(process.pid)
            started = time.perf_counter()
            await declare(url, args.incidents)
            took = time.perf_counter() - started
            await asyncio.sleep(args.settle_s)
            loaded = rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)
    print(f"serve idle:                         RSS {idle:6.1f} MB")
    print(
        f"serve with {args.incidents} open incidents:   RSS {loaded:6.1f} MB  "
        f"({loaded / idle:.2f}x idle; declared in {took:.1f} s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
