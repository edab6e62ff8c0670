"""Building the bolt AsyncApp. Signature verification is never turned off."""

from __future__ import annotations

from collections.abc import Mapping

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.listeners import register
from bot.core.playbooks import Playbook
from bot.service.bus import CommandSink


def build_slack_app(
    *,
    signing_secret: str,
    client: AsyncWebClient,
    bus: CommandSink,
    playbooks: Mapping[str, Playbook] | None = None,
) -> AsyncApp:
    """Listeners ack first; the work runs after the 200 has gone back to Slack
    (bolt's default, ``process_before_response=False``)."""
    if not signing_secret:
        raise ValueError("a Slack signing secret is required")
    app = AsyncApp(
        signing_secret=signing_secret,
        client=client,
        request_verification_enabled=True,
        process_before_response=False,
    )
    register(app, bus, playbooks or {})
    return app
