"""The console over plain HTTP: API clients that ask for JSON get JSON errors, browsers
get pages; a dry run whose target cannot be read blocks Run and says how to fix it."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import build, create_app
from tests.console.conftest import INTAKE, LEAK, Served, console_settings, sign_in
from tests.fakes.servers import ServedApp, free_port

pytestmark = pytest.mark.db
JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


async def test_api_clients_get_json_and_browsers_get_pages(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as web:
        asked = await web.get("/console", headers=JSON)
        assert asked.status_code == 401
        assert asked.json() == {"detail": "You are not signed in, or your session has ended."}
        page = await web.get("/console", headers=BROWSER)
        assert page.status_code == 401 and "<h1>Sign in</h1>" in page.text
        missing = await web.get("/nowhere", headers=BROWSER)
        assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
        assert "/console/static/console.css" in missing.text
        api = await web.get("/nowhere", headers=JSON)
        assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
        landing = await web.get("/", headers=BROWSER)
        assert landing.status_code == 303 and landing.headers["location"] == "/console"
        await sign_in(web, served.database_url, "alice")
        gone = await web.get("/console/incidents/INC-20000101-0001", headers=JSON)
        assert gone.status_code == 404
        assert gone.json() == {"detail": "no incident INC-20000101-0001"}


@pytest.fixture
def unreachable(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """The demo playbook with AWS pointed at a port nobody listens on."""
    environ = {
        "BLASTWALL_AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "BLASTWALL_AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
        "BLASTWALL_AWS_SECRET_ACCESS_KEY": "not-a-real-secret-for-tests",
        "BLASTWALL_AWS_MAX_ATTEMPTS": "1",
    }
    app = create_app(build(console_settings(tmp_path, database_url), environ=environ))
    with ServedApp(app) as running:
        declared = httpx.post(
            f"{running.url}/alerts",
            json=LEAK,
            headers={"Authorization": f"Bearer {INTAKE}"},
            timeout=30,
        )
        assert declared.status_code == 202, declared.text
        yield Served(running.url, database_url, declared.json()["incident"], app)


async def test_a_target_that_cannot_be_read_blocks_run(unreachable: Served) -> None:
    async with httpx.AsyncClient(base_url=unreachable.url, timeout=30) as web:
        await sign_in(web, unreachable.database_url, "alice")
        plan = await web.get(
            f"/console/incidents/{unreachable.incident}/plan",
            params={
                "action": "aws.iam.deactivate_access_key",
                "target": "aws:access_key:AKIAEXAMPLE000042",
            },
        )
        size = (await web.get(f"/console/incidents/{unreachable.incident}/live")).json()
    text = html.unescape(plan.text)
    assert plan.status_code == 200
    assert "Blastwall could not read the target" in text
    assert "To fix: set the BLASTWALL_AWS_* settings" in text
    assert 'action="/console/incidents/' not in text.split("<main>")[1]  # no Run form
    assert "not-a-real-secret-for-tests" not in text
    assert size["entries"] == 3  # declared, commander, room: the dry run recorded nothing
