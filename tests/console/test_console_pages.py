"""The console as responders would choose it, in Chromium on ``blastwall demo``: the room
in a responder's words, controls that follow the person, the dry run as before/after,
declaring and adding identities, evidence with its review and downloads, labelled
pictures, and styled pages for strangers and errors. Every page is screenshotted and
checked (``looks.inspect``: layout boxes, baselines, axe-core)."""

from __future__ import annotations

import csv
import io
import json
import re

from playwright.async_api import Browser, Page, expect

from tests.console.conftest import Demo, browse_as
from tests.console.looks import inspect

INCIDENT = re.compile(r"^INC-")


async def _room(page: Page) -> str:
    await page.goto(page.url.split("/console")[0] + "/console")
    await page.get_by_role("link", name=INCIDENT).first.click()
    await expect(page.get_by_role("heading", level=1, name=INCIDENT)).to_be_visible()
    return page.url


async def _command(page: Page, button: str) -> None:
    await page.get_by_role("button", name=button).click()
    await expect(page.locator(".flash-ok").first).to_be_visible()
    await expect(page.locator(".flash-bad")).to_have_count(0)


async def test_the_room_reads_as_a_responder_thinks(browser: Browser, demo: Demo, axe: str) -> None:
    alice = await browse_as(browser, demo, "alice")
    await _room(alice)
    await expect(alice.locator("#summary")).to_have_text(
        "GitHub secret scanning found the key in a public commit."
    )
    await expect(alice.locator("#source")).to_have_text("github-secret-scanning")
    row = alice.locator("#identities tbody tr").first
    await expect(row).to_contain_text(f"Access key {demo.key_id} of user {demo.user}")
    for cell, text in zip(range(1, 5), ("payments", "ci-deployer", "aws-iam", "no"), strict=True):
        await expect(row.locator("td").nth(cell)).to_have_text(text)
    await expect(alice.locator("#commander")).to_have_text("console:alice")
    await expect(alice.locator("#about")).to_contain_text("(not yet acknowledged)")
    await expect(alice.locator("#contained")).to_have_text("nothing yet")
    await expect(alice.locator("#tta")).to_have_text("not reached")
    await inspect(alice, "room-declared", axe)


async def test_controls_follow_the_person(browser: Browser, demo: Demo, axe: str) -> None:
    alice, bob, carol = [await browse_as(browser, demo, n) for n in ("alice", "bob", "carol")]
    await _room(alice)
    status = alice.get_by_label("Next status")
    await expect(status).to_have_value("")  # nothing preselected
    options = await status.locator("option:not([disabled])").all_inner_texts()
    assert options == ["contained", "resolved"]  # declared's legal next states, in order
    await expect(alice.get_by_role("button", name="Accept command")).to_have_count(0)

    await _room(carol)
    disabled = carol.locator("#containment .disabled")
    await expect(disabled).to_contain_text("Deactivate key")
    await expect(carol.locator("#containment .reason")).to_have_text(
        "needs the nhi.credential-lifecycle right"
    )
    await expect(carol.get_by_role("link", name=re.compile("^Deactivate key"))).to_have_count(0)
    for absent in ("Acknowledge command", "Change status", "Hand off command"):
        await expect(carol.get_by_role("button", name=absent)).to_have_count(0)
    await expect(carol.locator("#status-note")).to_have_text(
        "only the commander (console:alice) changes the status"
    )
    await inspect(carol, "room-no-rights", axe)

    await _room(bob)
    await expect(bob.get_by_role("button", name="Accept command")).to_have_count(0)
    await _command(alice, "Acknowledge command")
    await expect(alice.get_by_role("button", name="Acknowledge command")).to_have_count(0)
    await alice.get_by_label("New commander").fill("console:bob")
    await _command(alice, "Hand off command")
    await _room(bob)
    await expect(bob.get_by_role("button", name="Accept command")).to_be_visible()
    await _command(bob, "Accept command")
    await expect(bob.locator("#commander")).to_have_text("console:bob")
    await expect(bob.get_by_label("Next status")).to_have_value("")


async def _dry_run(page: Page) -> None:
    await page.get_by_role("link", name=re.compile("^Deactivate key")).click()
    await expect(page.get_by_role("heading", name="Deactivate access key")).to_be_visible()


async def test_the_dry_run_is_a_before_and_after_in_words(
    browser: Browser, demo: Demo, axe: str
) -> None:
    alice = await browse_as(browser, demo, "alice")
    room = await _room(alice)
    await _dry_run(alice)
    await expect(alice.locator("#preview")).to_have_text(
        f"Access key {demo.key_id} of user {demo.user}: Active → Inactive"
    )
    await expect(alice.locator("#approval")).to_have_text(
        "needs 1 approval within 30 minutes from console:bob"
    )
    await expect(alice.locator("main")).to_contain_text("reversible: Undo switches it back")
    await inspect(alice, "dry-run", axe)

    carol = await browse_as(browser, demo, "carol")
    await carol.goto(alice.url)
    await expect(carol.locator("#blocked")).to_contain_text("you do not hold nhi.credential")
    await expect(carol.get_by_role("button", name=re.compile("^Run "))).to_have_count(0)

    await alice.get_by_label("justification").fill("key in a public commit")
    await alice.get_by_role("button", name=re.compile("^Run ")).click()
    await expect(alice.locator(".flash-ok")).to_contain_text("Approval requested")
    await expect(alice.locator(".request-status")).to_have_text("awaiting approval")
    await expect(alice.locator("#containment .reason").first).to_have_text(
        "already requested: awaiting approval"
    )
    assert alice.url == room


async def test_declaring_and_adding_an_identity(browser: Browser, demo: Demo, axe: str) -> None:
    alice = await browse_as(browser, demo, "alice")
    await alice.get_by_role("link", name="Declare an incident").click()
    await inspect(alice, "declare", axe)
    await alice.get_by_label("Title").fill("Half a key")
    await alice.get_by_label("System").fill("aws")
    await alice.get_by_role("button", name="Declare").click()
    await expect(alice.locator("#problem")).to_have_text(
        "Not declared: an identity needs its system, kind and id"
    )
    await expect(alice.get_by_label("Title")).to_have_value("Half a key")

    await alice.get_by_label("Severity").select_option("SEV3")
    await alice.get_by_label("Environment").select_option("non-production")
    await alice.get_by_label("Title").fill("Second key found in a gist")
    await alice.get_by_label("Kind").select_option("access_key")
    await alice.get_by_label("Id").fill("AKIAEXAMPLE00000777")
    await alice.get_by_label("Owner").fill("payments")
    await alice.get_by_role("button", name="Declare").click()
    await expect(alice.locator(".title")).to_have_text("Second key found in a gist")
    await expect(alice.locator(".sev")).to_have_text("SEV3")
    await expect(alice.locator("#source")).to_have_text("manual")

    await alice.get_by_text(re.compile("^Add an identity")).click()
    form = alice.locator("form[action$='/identities']")
    await form.get_by_label("System").fill("aws")
    await form.get_by_label("Kind").select_option("access_key")
    await form.get_by_label("Id").fill("AKIAEXAMPLE00000778")
    await form.get_by_role("button", name="Add identity").click()
    await expect(alice.locator("#identities tbody tr")).to_have_count(2)
    await expect(alice.locator(".flash-ok")).to_contain_text(
        "Added aws:access_key:AKIAEXAMPLE00000778"
    )
    listing = await browse_as(browser, demo, "bob")
    await listing.goto(f"{demo.url}/console")
    await expect(listing.get_by_role("link", name=INCIDENT)).to_have_count(2)


async def _contain_and_resolve(browser: Browser, demo: Demo) -> tuple[Page, Page]:
    alice, bob = await browse_as(browser, demo, "alice"), await browse_as(browser, demo, "bob")
    await _room(alice)
    await _dry_run(alice)
    await alice.get_by_role("button", name=re.compile("^Run ")).click()
    await expect(alice.locator(".flash-ok")).to_contain_text("Approval requested")
    await _room(bob)
    await bob.get_by_label("Reason").fill("confirmed with payments")
    await bob.get_by_role("button", name="Approve").click()
    await expect(bob.locator(".flash-ok")).to_contain_text("is recorded")
    await expect(bob.locator(".request-status").first).to_have_text("done", timeout=15_000)
    # alice's page follows by itself; the banner of her request is history by then
    await expect(alice.locator(".request-status").first).to_have_text("done", timeout=15_000)
    await expect(alice.locator("#flash .flash")).to_have_count(0)
    await expect(alice.locator("#contained")).to_contain_text(demo.key_id)
    return alice, bob


async def test_undo_where_safe_and_pictures_with_labels(
    browser: Browser, demo: Demo, axe: str
) -> None:
    alice, _ = await _contain_and_resolve(browser, demo)
    await expect(alice.locator("#containment .reason").first).to_contain_text("already done")
    await expect(alice.get_by_role("button", name="Undo")).to_be_visible()
    await _command(alice, "Acknowledge command")
    await expect(alice.locator("#tta")).to_have_text(re.compile(r"^\d+m \d{2}s$"))
    lanes = await alice.locator("svg.timeline text.lane").all_text_contents()
    assert {"alert:github-secret-scanning", "console:alice", "console:bob"} <= set(lanes)
    ticks = await alice.locator("svg.timeline text.tick").all_text_contents()
    assert ticks and all(re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", t) for t in ticks)
    await expect(alice.locator("svg.timeline text.mark-label").first).to_have_text("declared")
    rung = alice.locator("#escalation .rung").first
    await expect(rung).to_contain_text(re.compile(r"Step 1 · \+\d+ min"))
    await expect(rung).to_contain_text(re.compile(r"\d{2}:\d{2} UTC"))
    await inspect(alice, "room-contained", axe)

    await alice.get_by_label("Why", exact=True).first.fill("false positive after all")
    await alice.get_by_role("button", name="Undo").click()
    refused = alice.locator("#requests li", has_text="Undo of Deactivate access key")
    await expect(refused).to_contain_text("re-enabling a leaked key hands", timeout=15_000)
    await expect(refused.locator(".request-status")).to_have_text("failed")
    await alice.get_by_label("Confirm: re-enable a key that was never compromised").check()
    await alice.get_by_role("button", name="Undo").click()
    undone = alice.locator("#requests .request-status", has_text="done")
    await expect(undone).to_have_count(2, timeout=15_000)
    await expect(alice.locator("#requests .reason").first).to_have_text("Undo: already undone")


async def test_evidence_renders_the_review_and_offers_downloads_to_auditors(
    browser: Browser, demo: Demo, axe: str
) -> None:
    alice, bob = await _contain_and_resolve(browser, demo)
    await expect(alice.locator("#status")).to_have_text("contained", timeout=15_000)
    await alice.reload()  # a fresh form: the live page may still be redrawing
    await alice.get_by_label("Next status").select_option("resolved")
    await alice.get_by_label("Why", exact=True).last.fill("key deactivated and rotated")
    await _command(alice, "Change status")
    await alice.get_by_role("link", name="Evidence").click()
    await expect(alice.locator("#fingerprint")).to_have_text(re.compile(r"^SHA256:[0-9a-f]{64}$"))
    await expect(
        alice.get_by_role("heading", name=re.compile("^Post-incident review"))
    ).to_be_visible()
    await expect(alice.locator(".review")).to_contain_text("Time to contain")
    await expect(alice.locator("table.report tbody tr").first).to_contain_text("incident declared")
    await inspect(alice, "evidence", axe)

    async with alice.expect_download() as taken:
        await alice.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO((await (await taken.value).path()).read_text())))
    assert rows[0][:4] == ["seq", "when", "incident", "what"] and len(rows) > 5
    assert rows[-1][3] == "evidence exported"  # the download recorded itself
    async with alice.expect_download() as taken:
        await alice.get_by_role("button", name="Download OCSF").click()
    ocsf = (await (await taken.value).path()).read_text()
    assert all("class_uid" in json.loads(line) for line in ocsf.splitlines() if line.strip())
    await alice.get_by_role("button", name="Export and verify").click()
    await expect(alice.locator("#verdict")).to_contain_text("Verified")
    await expect(alice.locator("#verdict")).to_contain_text(
        re.compile(r"\d+ signed checkpoints?\)")
    )

    carol = await browse_as(browser, demo, "carol")
    await carol.goto(alice.url)
    await expect(carol.get_by_role("heading", name="Not allowed")).to_be_visible()
    await expect(carol.get_by_role("button", name="Download CSV")).to_have_count(0)
    await inspect(carol, "not-allowed", axe)
    del bob


async def test_strangers_and_errors_get_styled_pages(
    browser: Browser, demo: Demo, axe: str
) -> None:
    stranger = await browse_as(browser, demo, None)
    await stranger.goto(f"{demo.url}/console")
    await expect(stranger.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(stranger.locator("#problem")).to_have_text(
        "You are not signed in, or your session has ended."
    )
    await inspect(stranger, "sign-in", axe, pixels=True)
    await stranger.goto(f"{demo.url}/nowhere")
    await expect(stranger.get_by_role("heading", name="Not found")).to_be_visible()
    await inspect(stranger, "not-found", axe, pixels=True)
    await stranger.goto(f"{demo.url}/")
    await expect(stranger.get_by_role("heading", name="Sign in")).to_be_visible()

    carol = await browse_as(browser, demo, "carol")
    await carol.goto(f"{demo.url}/console/incidents/INC-20000101-0001")
    await expect(carol.locator("#problem")).to_have_text("no incident INC-20000101-0001")
    await carol.get_by_role("button", name="Sign out").click()
    await expect(carol.get_by_role("heading", name="Signed out")).to_be_visible()
    await inspect(carol, "signed-out", axe, pixels=True)

    admin = await browse_as(browser, demo, "admin")
    await admin.goto(f"{demo.url}/console/playbooks")
    await admin.get_by_label("Console user").fill("carol")
    await admin.get_by_role("button", name="Make a one-time link").click()
    await expect(admin.locator("#minted")).to_contain_text("/console/login?token=")
    await inspect(admin, "playbooks", axe)


async def test_docs_work_offline(browser: Browser, demo: Demo) -> None:
    page = await browse_as(browser, demo, None)
    elsewhere: list[str] = []

    async def only_here(route: object) -> None:
        from playwright.async_api import Route

        assert isinstance(route, Route)
        if route.request.url.startswith(demo.url):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_here)
    await page.goto(f"{demo.url}/docs")
    await expect(page.locator(".swagger-ui .title").first).to_contain_text("Blastwall")
    await expect(page.get_by_text("/alerts").first).to_be_visible()
    assert elsewhere == []
    spec = await page.request.get(f"{demo.url}/openapi.json")
    assert spec.ok and (await spec.json())["info"]["title"] == "Blastwall"
