"""The console under test: ``blastwall demo`` as a real process with Debian's Chromium driven
by Playwright, and the app served on 127.0.0.1 for tests that need only HTTP."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.adapters.console.auth import Directory, parse_users
from bot.app import build, create_app
from bot.config import Settings
from bot.storage.console_sessions import SqlConsoleSignIns
from bot.storage.database import make_engine
from tests.fakes.servers import ServedApp, free_port
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
        assert found and set(links) == {"admin", "alice", "bob", "carol"}, text
        yield Demo(url, links, found.group(1), found.group(2), found.group(3))
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        missing = "Chromium is missing: apt-get install chromium (tests/run.sh does)"
        if os.environ.get("BLASTWALL_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)  # CI: a browser test that did not run is not a pass
        pytest.skip(missing)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


# HTTP-level console tests: the real app served on 127.0.0.1, on SQLite or PostgreSQL,
# with the demo's playbook (alice commands and audits, bob approves and audits, carol
# holds no right) and an incident declared through /alerts.

DEMO_PLAYBOOKS = Path(__file__).resolve().parents[2] / "bot" / "demo" / "playbooks"
USERS = "alice=console:alice,bob=console:bob,carol=console:carol"
INTAKE = "intake-token-for-console-tests"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LEAK = {
    "source": "github-secret-scanning",
    "severity": "SEV2",
    "summary": "key pushed to a public repository",
    "identity": {"system": "aws", "kind": "access_key", "id": "AKIAEXAMPLE000042"},
}


@dataclass
class Served:
    url: str
    database_url: str
    incident: str
    app: Any


def console_settings(tmp_path: Path, database_url: str, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url,
        intake_token=INTAKE,
        signing_key=tmp_path / "signing.pem",
        playbooks=DEMO_PLAYBOOKS,
        console_users=USERS,
        **extra,
    )


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    app = create_app(build(console_settings(tmp_path, database_url), environ={}))
    with ServedApp(app) as running:
        declared = httpx.post(
            f"{running.url}/alerts",
            json=LEAK,
            headers={"Authorization": f"Bearer {INTAKE}"},
            timeout=30,
        )
        assert declared.status_code == 202, declared.text
        yield Served(running.url, database_url, declared.json()["incident"], app)


async def mint(database_url: str, name: str, now: Callable[[], datetime] | None = None) -> str:
    """What ``blastwall console link`` does, from outside the server: a row in the database."""
    engine = make_engine(database_url)
    try:
        directory = Directory(
            b"minted-outside", parse_users(USERS), SqlConsoleSignIns(engine), now or _utcnow
        )
        return await directory.mint(name)
    finally:
        await engine.dispose()


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def sign_in(web: httpx.AsyncClient, database_url: str, name: str) -> str:
    """Sign ``web`` in as ``name``; returns the session's CSRF token."""
    landed = await web.get(f"/console/login?token={await mint(database_url, name)}")
    assert landed.status_code == 303, landed.text
    return csrf_of(await web.get("/console"))


def csrf_of(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


@pytest.fixture(scope="session")
def axe(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core's browser build, ``npm pack``ed from the npm registry at test time."""
    where = tmp_path_factory.mktemp("axe")
    packed = subprocess.run(
        ["npm", "pack", "axe-core@4", "--silent", "--pack-destination", str(where)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert packed.returncode == 0, f"npm pack axe-core@4 failed: {packed.stderr}"
    (tarball,) = where.glob("*.tgz")
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode("utf-8")


async def browse_as(browser: Browser, demo: Demo, name: str | None) -> Page:
    """A fresh 1280x900 context, signed in as ``name`` (None: nobody). CSP is bypassed
    so axe can be injected; test_console.py checks the CSP with it in force."""
    context = await browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = await context.new_page()
    if name is not None:
        await page.goto(demo.links[name])
    return page
