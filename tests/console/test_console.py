"""The console end to end in a real browser on the demo: sign in, contain, approve as a
second user, see the key go inactive in moto, export and verify; a user without the
right is refused; requests without a session or a CSRF token change nothing."""

from __future__ import annotations

import re

import boto3
import httpx
from playwright.async_api import Browser, Page, expect

from tests.console.conftest import ARTIFACTS, Demo


def _key_status(demo: Demo) -> str:
    iam = boto3.client(
        "iam",
        endpoint_url=demo.moto,
        region_name="us-east-1",
        aws_access_key_id="demo",
        aws_secret_access_key="demo",
    )
    keys = iam.list_access_keys(UserName=demo.user)["AccessKeyMetadata"]
    return str(next(k["Status"] for k in keys if k["AccessKeyId"] == demo.key_id))


async def _signed_in(
    browser: Browser, demo: Demo, name: str, blocked: list[str] | None = None
) -> Page:
    """A fresh browser context signed in as ``name``; whatever the Content-Security-Policy
    blocks there is added to ``blocked``."""
    page = await (await browser.new_context()).new_page()
    if blocked is not None:
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
    await page.goto(demo.links[name])
    await expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    return page


async def _open_incident(page: Page) -> None:
    await page.get_by_role("link", name=re.compile(r"^INC-")).first.click()
    await expect(page.get_by_role("heading", name=re.compile(r"^INC-"))).to_be_visible()


async def _request_deactivation(page: Page, why: str) -> None:
    await page.get_by_role("link", name=re.compile(r"^Deactivate key")).click()
    await expect(page.locator("#preview")).to_contain_text("Inactive")
    await page.get_by_label("justification").fill(why)
    await page.get_by_role("button", name=re.compile(r"^Run ")).click()


async def test_the_whole_demo_incident_in_a_browser(browser: Browser, demo: Demo) -> None:
    blocked: list[str] = []
    alice = await _signed_in(browser, demo, "alice", blocked)
    await alice.screenshot(path=str(ARTIFACTS / "incidents.png"), full_page=True)
    await _open_incident(alice)
    await expect(alice.locator("#commander")).to_have_text("console:alice")
    await _request_deactivation(alice, "key found in a public commit")
    await expect(alice.locator(".flash").first).to_contain_text("Approval requested")
    await expect(alice.locator(".request-status").first).to_have_text("awaiting approval")
    await alice.screenshot(path=str(ARTIFACTS / "room-awaiting-approval.png"), full_page=True)
    assert _key_status(demo) == "Active"

    carol = await _signed_in(browser, demo, "carol", blocked)
    await _open_incident(carol)
    await expect(carol.locator("#containment .reason").first).to_have_text(
        "needs the nhi.credential-lifecycle right"
    )
    await expect(carol.get_by_role("link", name="Evidence")).to_have_count(0)
    await carol.goto(f"{carol.url}/evidence")
    await expect(carol.get_by_role("heading", name="Not allowed")).to_be_visible()
    await carol.get_by_role("button", name="Sign out").click()
    await expect(carol.get_by_role("heading", name="Signed out")).to_be_visible()
    await carol.goto(f"{demo.url}/console")
    await expect(carol.get_by_role("heading", name="Sign in")).to_be_visible()

    bob = await _signed_in(browser, demo, "bob")
    await _open_incident(bob)
    await bob.get_by_label("Reason", exact=True).fill("confirmed with the payments team")
    await bob.get_by_role("button", name="Approve").click()
    await expect(bob.locator(".flash").last).to_contain_text("is recorded")
    # the approval's answer comes once it is recorded; the call runs after it
    await expect(alice.locator(".request-status").first).to_have_text("done", timeout=15_000)
    assert _key_status(demo) == "Inactive"
    await alice.screenshot(path=str(ARTIFACTS / "room-contained.png"), full_page=True)
    await alice.get_by_role("link", name="Evidence").click()
    await alice.get_by_role("button", name="Export and verify").click()
    await expect(alice.locator("#verdict")).to_contain_text("Verified")
    await alice.screenshot(path=str(ARTIFACTS / "evidence.png"), full_page=True)
    await alice.goto(f"{demo.url}/console/playbooks")
    await alice.screenshot(path=str(ARTIFACTS / "playbooks.png"), full_page=True)
    assert blocked == []


async def test_no_session_or_no_csrf_changes_nothing(demo: Demo) -> None:
    async with httpx.AsyncClient(base_url=demo.url, timeout=10) as web:
        listing = await web.get("/console")
        assert listing.status_code == 401
        anonymous = await web.post(
            "/console/incidents/INC-20261122-0001/act",
            data={
                "action": "aws.iam.deactivate_access_key",
                "target": f"aws:access_key:{demo.key_id}",
            },
        )
        assert anonymous.status_code == 401
        signed = await web.get(demo.links["alice"])
        assert signed.status_code in (200, 303)
        incident = re.search(r"INC-\d{8}-\d{4}", (await web.get("/console")).text)
        assert incident is not None
        before = (await web.get(f"/console/incidents/{incident.group(0)}/live")).json()
        forged = await web.post(
            f"/console/incidents/{incident.group(0)}/act",
            data={
                "action": "aws.iam.deactivate_access_key",
                "target": f"aws:access_key:{demo.key_id}",
            },
        )
        assert forged.status_code == 403
        after = (await web.get(f"/console/incidents/{incident.group(0)}/live")).json()
        reused = await web.get(demo.links["alice"])
    assert before == after
    assert reused.status_code == 401  # one-time link
    assert _key_status(demo) == "Active"
