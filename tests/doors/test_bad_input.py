"""Hostile bodies at every door of ``blastwall serve``: a 4xx naming the field, never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import httpx
import pytest

from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall

pytestmark = pytest.mark.db

DEEP = "[" * 1000 + "]" * 1000


def _alert(details: str = "{}", summary: str = '"leak"') -> bytes:
    """Raw text, because json.dumps would refuse to write most of these."""
    identity = '{"system": "aws", "kind": "access_key", "id": "AKIAEXAMPLEEXAMPLE01"}'
    return (
        f'{{"source": "github-secret-scanning", "summary": {summary}, '
        f'"identity": {identity}, "details": {details}}}'
    ).encode()


ALERTS = {
    "NaN": (_alert('{"score": NaN}'), "details.score"),
    "Infinity": (_alert('{"score": -Infinity}'), "details.score"),
    "a float beyond double": (_alert('{"score": 1e400}'), "details.score"),
    "an integer beyond 2^53": (_alert('{"count": 9007199254740993}'), "details.count"),
    "a lone surrogate": (_alert(summary='"key \\ud800 leaked"'), "summary"),
    "NUL": (_alert(summary='"key \\u0000 leaked"'), "summary"),
    "a NUL in a key": (_alert('{"a\\u0000b": 1}'), "details"),
    "1,000 levels": (_alert(f'{{"x": {DEEP}}}'), "nested deeper than 32 levels"),
}


@pytest.fixture
def driver(blastwall: Blastwall) -> SlackDriver:
    return SlackDriver(blastwall.url, blastwall.slack_secret)


async def test_hostile_alerts_get_422_naming_the_field(blastwall: Blastwall) -> None:
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        for case, (body, field) in ALERTS.items():
            headers = {**blastwall.bearer, "Content-Type": "application/json"}
            answer = await web.post("/alerts", content=body, headers=headers)
            assert answer.status_code == 422, (case, answer.text)
            assert field in answer.json()["detail"][0]["msg"], (case, answer.text)
        assert (await web.get("/healthz")).status_code == 200
    assert "Traceback" not in blastwall.log.read_text()


async def test_deep_slack_payloads_are_refused_before_parsing(
    blastwall: Blastwall, driver: SlackDriver
) -> None:
    as_json = json.dumps({"type": "event_callback", "event": {"x": "PLACEHOLDER"}})
    deep = as_json.replace('"PLACEHOLDER"', DEEP).encode()
    answer = await driver.post(deep, "application/json")
    assert answer.status_code == 422 and "nested deeper than 32" in answer.text

    as_form = urlencode({"payload": '{"type": "block_actions", "x": ' + DEEP + "}"}).encode()
    answer = await driver.post(as_form, "application/x-www-form-urlencoded")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "payload"]
    assert "Traceback" not in blastwall.log.read_text()


async def test_nul_and_surrogates_in_slack_forms_are_refused(
    blastwall: Blastwall, driver: SlackDriver
) -> None:
    nul = await driver.slash_command("UCOMMANDER1", "open leak\x00here")
    assert nul.status_code == 422 and "text" in nul.json()["detail"][0]["msg"]
    surrogate = (
        b"team_id=T0TEST&user_id=U1&command=%2Fincident&text="
        + quote(b"open " + b"\xed\xa0\x80").encode()
    )
    answer = await driver.post(surrogate, "application/x-www-form-urlencoded")
    assert answer.status_code == 422
    payload = urlencode({"payload": '{"type": "block_actions", "v": "\\ud800"}'}).encode()
    answer = await driver.post(payload, "application/x-www-form-urlencoded")
    assert answer.status_code == 422 and "payload.v" in answer.text
    assert "Traceback" not in blastwall.log.read_text()
