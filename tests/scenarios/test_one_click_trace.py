"""OpenTelemetry: one signed Slack click is one trace, with spans for the door,
the handlers it runs and the connector call (deferred past the answer, and still
in the click's trace). Spans go to an in-memory exporter here; in production to
``BLASTWALL_OTLP_ENDPOINT``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot.adapters.tracing.otel import install_tracing
from bot.app import build, create_app
from bot.config import load_settings
from tests.fakes.servers import ServedApp
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, PLAYBOOK, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import base_env, eventually, stored_evidence

pytestmark = pytest.mark.db
TOKEN = "intake-token-for-traces"


def _env(tmp_path: Path, database_url: str, slack_url: str, moto: str) -> dict[str, str]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "leaked.yaml").write_text(PLAYBOOK)
    return base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN=TOKEN,
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_AWS_ENDPOINT_URL=moto,
        BLASTWALL_AWS_ACCESS_KEY_ID="testing",
        BLASTWALL_AWS_SECRET_ACCESS_KEY="testing",
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=f"{slack_url}/api/",
    )


def _exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    if isinstance(trace.get_tracer_provider(), TracerProvider):  # set by an earlier test
        pytest.fail("a tracer provider is already installed in this process")
    assert install_tracing({}, exporter)
    return exporter


def _flush() -> None:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.force_flush()


async def test_one_click_is_one_trace_through_door_handler_and_connector(
    tmp_path: Path,
    database_url: str,
    slack: SlackStandIn,
    moto_endpoint: str,
    iam_admin: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = _env(tmp_path, database_url, slack.url, moto_endpoint)  # type: ignore[attr-defined]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    iam_admin.create_user(UserName="traced")  # type: ignore[attr-defined]
    key = iam_admin.create_access_key(UserName="traced")  # type: ignore[attr-defined]
    key_id = key["AccessKey"]["AccessKeyId"]
    exporter = _exporter()
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }
    with ServedApp(create_app(build(load_settings(), environ=env))) as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=10) as web:
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            incident_id = (await web.post("/alerts", json=alert, headers=bearer)).json()["incident"]
        channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
        card = await eventually(lambda: slack.card_in(channel.id))
        _flush()
        exporter.clear()
        button = card.button("aws.iam.deactivate_access_key")
        driver = SlackDriver(app.url, SLACK_SECRET)
        clicked = await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
        assert clicked.status_code == 200

        async def succeeded() -> bool:
            entries = await stored_evidence(database_url, incident_id)
            return any(e["what"] == "action succeeded" for e in entries)

        await eventually(succeeded)
        _flush()
    spans = list(exporter.get_finished_spans())
    (door,) = [s for s in spans if s.name == "door slack /slack/events"]
    in_trace = [s for s in spans if s.context.trace_id == door.context.trace_id]
    names = {s.name for s in in_trace}
    assert "handle RequestAction" in names
    assert "connector aws_iam.apply" in names and "connector aws_iam.plan" in names
    apply = next(s for s in in_trace if s.name == "connector aws_iam.apply")
    chain = [s.name for s in _ancestors(apply, in_trace)]
    assert chain[:2] == ["handle RunRequest", "door slack /slack/events"], chain  # off the click


def _ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    by_id = {s.context.span_id: s for s in spans}
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain
