"""The commander commands from the console: acknowledge, hand off, accept and change
status through the real forms (session cookie, CSRF token), on ``blastwall demo``.

The console labels its users (``console:alice``) while the playbook names the
commander by principal alone, so the display names differ: identity must not.
"""

from __future__ import annotations

import html
import re

import httpx

from bot.core.actors import Actor
from tests.console.conftest import Demo

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def _signed_in(demo: Demo, name: str) -> httpx.AsyncClient:
    web = httpx.AsyncClient(base_url=demo.url, timeout=15)
    signed = await web.get(demo.links[name])
    assert signed.status_code in (200, 303), signed.text
    return web


async def _room(web: httpx.AsyncClient) -> tuple[str, str, str]:
    """The incident's id, its room page, and the page's CSRF token."""
    listing = (await web.get("/console")).text
    found = re.search(r"INC-\d{8}-\d{4}", listing)
    assert found is not None, listing
    page = (await web.get(f"/console/incidents/{found.group(0)}")).text
    token = CSRF.search(page)
    assert token is not None
    return found.group(0), page, html.unescape(token.group(1))


async def _command(web: httpx.AsyncClient, **form: str) -> str:
    """Post the room's command form as a browser would, and read the page it leads to."""
    incident, _, csrf = await _room(web)
    posted = await web.post(f"/console/incidents/{incident}/command", data={"csrf": csrf, **form})
    assert posted.status_code == 303, posted.text
    page = (await web.get(posted.headers["location"])).text
    return html.unescape(page)


def _field(page: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', page)
    assert found is not None
    return found.group(1)


def test_display_names_never_decide_identity() -> None:
    stored, signed_in = Actor("console", "alice"), Actor("console", "alice", "console:alice")
    assert stored == signed_in and hash(stored) == hash(signed_in)
    assert {stored} == {signed_in} and Actor("console", "bob", "alice") != stored


async def test_the_commander_acknowledges_hands_off_and_the_new_one_changes_status(
    demo: Demo,
) -> None:
    alice, bob = await _signed_in(demo, "alice"), await _signed_in(demo, "bob")
    try:
        _, before, _ = await _room(alice)
        assert "(not yet acknowledged)" in before and _field(before, "commander") == "console:alice"

        acked = await _command(alice, what="ack")
        assert "only the incident commander" not in acked
        assert "(not yet acknowledged)" not in acked

        moved = await _command(alice, what="status", status="contained", reason="key found")
        assert "Not done" not in moved and _field(moved, "status") == "contained"

        offered = await _command(alice, what="handoff", to="console:bob")
        assert "Not done" not in offered and "handoff offered to console:bob" in offered

        refused = await _command(alice, what="accept")
        assert "command was not offered to you" in refused

        accepted = await _command(bob, what="accept")
        assert "Not done" not in accepted and _field(accepted, "commander") == "console:bob"

        stale = await _command(alice, what="status", status="resolved", reason="done")
        assert "only the incident commander" in stale and _field(stale, "status") == "contained"

        resolved = await _command(bob, what="status", status="resolved", reason="rotated")
        assert "Not done" not in resolved and _field(resolved, "status") == "resolved"
    finally:
        await alice.aclose()
        await bob.aclose()
