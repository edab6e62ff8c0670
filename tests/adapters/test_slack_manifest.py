"""The Slack manifest asks for exactly the scopes and events the code uses: every Web
API method Blastwall calls is covered, and no scope is there that nothing needs."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
# Web API method (as slack_sdk names it) -> the bot scopes it needs (public, private).
NEEDS: dict[str, tuple[str, ...]] = {
    "auth_test": (),
    "views_open": (),
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "chat_update": ("chat:write",),
    "conversations_create": ("channels:manage", "groups:write"),
    "conversations_invite": ("channels:manage", "groups:write"),
    "conversations_setTopic": ("channels:manage", "groups:write"),
    "conversations_archive": ("channels:manage", "groups:write"),
    "conversations_history": ("channels:history", "groups:history"),
    "conversations_replies": ("channels:history", "groups:history"),
}
FEATURES = {"commands": "/incident", "app_mentions:read": "app_mention"}
EVENTS = {"app_mention", "message.channels", "message.groups"}
CALL = re.compile(r"\bclient\.([a-z]+_[A-Za-z]+)\b")


def _manifest() -> dict[str, object]:
    loaded = YAML(typ="safe").load((ROOT / "slack-manifest.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _called() -> set[str]:
    return {m for path in (ROOT / "bot").rglob("*.py") for m in CALL.findall(path.read_text())}


def test_every_called_method_is_known_and_every_scope_is_needed() -> None:
    called = _called()
    assert called - set(NEEDS) == set(), "a new Web API call: add its scopes here and there"
    needed = {scope for method in called for scope in NEEDS[method]} | set(FEATURES)
    scopes = _manifest()["oauth_config"]["scopes"]["bot"]  # type: ignore[index]
    assert sorted(scopes) == sorted(needed)


def test_the_manifest_subscribes_to_the_transcripts_events() -> None:
    events = _manifest()["settings"]["event_subscriptions"]["bot_events"]  # type: ignore[index]
    assert set(events) == EVENTS
