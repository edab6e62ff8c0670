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
    """Slack's HTTP answer goes back when a listener returns (``process_before_response``):
    a listener hands its command to ``bus.accept``, which returns once the intent
    (or declaration) is durable and leaves the connector call, cards and notices to
    the app's backlog. So the 200 means "recorded", and no click is acknowledged that
    a crash could forget; bolt's own background mode would answer before that (and
    polls for the ack every 10 ms)."""
    if not signing_secret:
        raise ValueError("a Slack signing secret is required")
    app = AsyncApp(
        signing_secret=signing_secret,
        client=client,
        request_verification_enabled=True,
        process_before_response=True,
    )
    register(app, bus, playbooks or {})
    return app
