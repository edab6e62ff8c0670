"""Console sign-in an auditor would accept, over real HTTP: one-time links stay used
across restarts and replicas, logout ends the session on the server, every console
route answers a stranger with the styled sign-in page, and every page carries the
security headers."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from bot.app import build, create_app
from tests.console.conftest import (
    USERS,
    Served,
    console_settings,
    mint,
    sign_in,
)
from tests.fakes.servers import ServedApp, free_port
from tests.scenarios.harness import base_env

pytestmark = pytest.mark.db
ADMIN_LINK = re.compile(r"^\s+(http://\S+/console/login\?token=\S+)$", re.M)


def _signed_out(response: httpx.Response) -> bool:
    return (
        response.status_code == 401
        and response.headers["content-type"].startswith("text/html")
        and "<h1>Sign in</h1>" in response.text
    )


@contextmanager
def _serve(tmp_path: Path, database_url: str, log: Path) -> Iterator[tuple[str, str]]:
    """``blastwall serve`` as a real process; yields (base URL, the admin link it printed)."""
    port = free_port()
    env = base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_CONSOLE_USERS=USERS,
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Application startup complete" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        found = ADMIN_LINK.search(log.read_text(errors="replace"))
        assert found is not None
        yield f"http://127.0.0.1:{port}", found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_used_link_stays_used_after_a_restart(tmp_path: Path, database_url: str) -> None:
    with _serve(tmp_path, database_url, tmp_path / "first.log") as (url, link):
        used = httpx.get(link, follow_redirects=False, timeout=10)
        assert used.status_code == 303 and used.headers["location"] == "/console"
        assert "blastwall_session" in used.headers["set-cookie"]
    path = link.removeprefix(url)
    with _serve(tmp_path, database_url, tmp_path / "second.log") as (url, fresh):
        replayed = httpx.get(url + path, follow_redirects=False, timeout=10)
        assert _signed_out(replayed) and "invalid, used or expired" in replayed.text
        assert "set-cookie" not in replayed.headers
        assert httpx.get(fresh, follow_redirects=False, timeout=10).status_code == 303


def test_console_link_cli_mints_a_link_the_server_honours_once(
    tmp_path: Path, served: Served
) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "link", "bob"],
        cwd=tmp_path,
        env=base_env(
            BLASTWALL_DATABASE_URL=served.database_url,
            BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
            BLASTWALL_CONSOLE_USERS=USERS,
            BLASTWALL_PUBLIC_URL=served.url,
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip()
    assert link.startswith(f"{served.url}/console/login?token=")
    assert httpx.get(link, follow_redirects=False, timeout=10).status_code == 303
    assert _signed_out(httpx.get(link, follow_redirects=False, timeout=10))
    nobody = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "link", "mallory"],
        cwd=tmp_path,
        env=base_env(
            BLASTWALL_DATABASE_URL=served.database_url,
            BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
            BLASTWALL_CONSOLE_USERS=USERS,
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert nobody.returncode == 2 and "no console user 'mallory'" in nobody.stderr


async def test_two_replicas_racing_on_one_link_sign_in_once(tmp_path: Path, served: Served) -> None:
    second = create_app(build(console_settings(tmp_path, served.database_url), environ={}))
    with ServedApp(second) as replica:
        link = f"/console/login?token={await mint(served.database_url, 'alice')}"
        async with (
            httpx.AsyncClient(base_url=served.url, timeout=30) as one,
            httpx.AsyncClient(base_url=replica.url, timeout=30) as two,
        ):
            answers = await asyncio.gather(one.get(link), two.get(link))
    assert sorted(a.status_code for a in answers) == [303, 401]


async def test_an_expired_link_signs_nobody_in(served: Served) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=16)
    token = await mint(served.database_url, "alice", now=lambda: long_ago)
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
        assert _signed_out(await web.get(f"/console/login?token={token}"))
        assert _signed_out(await web.get("/console"))


async def test_logout_ends_the_session_for_every_copy_of_the_cookie(served: Served) -> None:
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10) as web,
        httpx.AsyncClient(base_url=served.url, timeout=10) as thief,
    ):
        csrf = await sign_in(web, served.database_url, "alice")
        thief.cookies = httpx.Cookies(web.cookies)
        assert (await thief.get("/console")).status_code == 200
        assert (await web.get("/console/logout")).status_code == 404  # only POST acts
        forged = await web.post("/console/logout", data={"csrf": "not-the-token"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        assert (await thief.get("/console")).status_code == 200
        out = await web.post("/console/logout", data={"csrf": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/console/signed-out"
        assert (await web.get("/console/signed-out")).status_code == 200
        assert _signed_out(await web.get("/console"))
        assert _signed_out(await thief.get("/console"))
        assert _signed_out(await thief.post("/console/logout", data={"csrf": csrf}))
        assert (await sign_in(web, served.database_url, "alice")) != csrf


async def test_a_stranger_gets_the_sign_in_page_on_every_console_route(served: Served) -> None:
    routes = [
        (method, route.path)
        for route in _routes(served.app.routes)
        if route.path.startswith("/console")
        for method in sorted(route.methods or ())
    ]
    public = {"/console/login", "/console/signed-out"}
    assert len(routes) >= 12
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
        web.cookies.set("blastwall_session", "forged-or-stale", path="/console")
        for method, path in routes:
            if path in public:
                continue
            url = re.sub(r"\{[^}]+\}", "INC-20261201-0001", path)
            answer = await web.request(method, url, data={"csrf": "x"})
            assert _signed_out(answer), (method, path, answer.status_code, answer.text[:200])
        assert _signed_out(await web.get("/console/login", params={"token": "made-up"}))
        assert _signed_out(await web.get("/console/no/such/page"))
        await sign_in(web, served.database_url, "alice")
        empty = await web.post(f"/console/incidents/{served.incident}/act", data={})
    assert empty.status_code == 422 and empty.headers["content-type"].startswith("text/html")
    assert "missing or invalid: action, target" in empty.text


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            yield from _routes(included.routes)


PAGES = [
    "/console",
    "/console/incidents/{incident}",
    "/console/incidents/{incident}/evidence",
    "/console/playbooks",
    "/console/incidents/INC-20261201-0999",
    "/console/no/such/page",
    "/console/static/console.js",
]


def _assert_hardened(response: httpx.Response) -> None:
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    if headers["content-type"].startswith("text/html"):
        assert not re.search(r"<script(?![^>]*\ssrc=)", response.text), "inline script"
        assert not re.search(r"\s(on\w+|style)=", response.text), "inline handler or style"
        assert "http://" not in response.text and "https://" not in response.text


async def test_every_console_page_carries_the_security_headers(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
        _assert_hardened(await web.get("/console"))  # the sign-in page too
        await sign_in(web, served.database_url, "alice")
        for path in PAGES:
            answer = await web.get(path.format(incident=served.incident))
            assert answer.status_code in (200, 404), (path, answer.status_code)
            _assert_hardened(answer)
        assert "strict-transport-security" not in answer.headers
        assert "content-security-policy" not in (await web.get("/healthz")).headers


async def test_the_cookie_is_secure_behind_https(
    tmp_path: Path, database_url: str, served: Served
) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
        plain = await web.get(f"/console/login?token={await mint(database_url, 'bob')}")
    settings = console_settings(tmp_path, database_url, public_url="https://blastwall.example")
    with ServedApp(create_app(build(settings, environ={}))) as running:
        link = f"/console/login?token={await mint(database_url, 'alice')}"
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as web:
            landed = await web.get(link)
    cookie = landed.headers["set-cookie"].lower()
    assert landed.status_code == 303 and plain.status_code == 303
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "path=/console" in cookie
    assert landed.headers["strict-transport-security"].startswith("max-age=")
