"""``blastwall demo`` as a real process, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from tests.fakes.servers import free_port
from tests.scenarios.harness import base_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Demo:
    url: str
    links: dict[str, str]
    moto: str
    key_id: str
    user: str


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "demo", "--port", str(port)],
            cwd=tmp_path,
            env=base_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            text = log.read_text(errors="replace")
            ready = "Application startup complete" in text
            if ready and httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the demo did not start:\n{text}")
            time.sleep(0.2)
        links = dict(re.findall(r"^\s+(\w+) \([^)]*\): (http\S+)$", text, re.M))
        found = re.search(r"moto at (\S+); the leaked key is (\S+) of IAM user (\S+)\.", text)
        assert found and set(links) == {"alice", "bob", "carol"}, text
        yield Demo(url, links, found.group(1), found.group(2), found.group(3))
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium (.ci/run does)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()
