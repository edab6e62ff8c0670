"""Which Slack workspace (team) and organisation (enterprise) a request comes from,
and which incident it touches.

A signed request proves only that *some* workspace with our app installed sent
it. An app distributed to more than one workspace, or a signing secret shared
across installs, would let another workspace's users click our incident cards.
Pinning ``SLACK_TEAM_ID`` / ``SLACK_ENTERPRISE_ID`` closes that door.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from bot.adapters.slack.payloads import decode_action, decode_prompt
from bot.core.incidents import is_incident_id


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The request as bolt will see it: a form (with JSON in ``payload``) or JSON."""
    text = raw.decode("utf-8", "replace")
    try:
        if content_type.startswith("application/json"):
            data = json.loads(text)
            return data if isinstance(data, dict) else {}
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in form:
            data = json.loads(form["payload"])
            return data if isinstance(data, dict) else {}
        return form
    except ValueError:
        return {}


def _dig(body: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def _ids(body: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> set[str]:
    found = (_dig(body, *path) for path in paths)
    return {value for value in found if isinstance(value, str) and value}


TEAM_PATHS = (
    ("team_id",),
    ("team", "id"),
    ("user", "team_id"),
    ("view", "team_id"),
    ("event", "team"),
)
ENTERPRISE_PATHS = (("enterprise_id",), ("enterprise", "id"), ("user", "enterprise_id"))


@dataclass(frozen=True)
class Workspace:
    """The one workspace (and optionally organisation) this deployment serves."""

    team_id: str | None
    enterprise_id: str | None

    def refusal(self, body: dict[str, Any]) -> str | None:
        """Why ``body`` is refused, or None. Every id a payload carries must match:
        a click from a shared channel whose user belongs elsewhere is refused too."""
        if body.get("type") == "url_verification":
            return None
        teams, enterprises = _ids(body, TEAM_PATHS), _ids(body, ENTERPRISE_PATHS)
        if self.team_id and teams - {self.team_id}:
            return f"workspace {', '.join(sorted(teams - {self.team_id}))} is not SLACK_TEAM_ID"
        if self.enterprise_id and enterprises - {self.enterprise_id}:
            others = ", ".join(sorted(enterprises - {self.enterprise_id}))
            return f"organisation {others} is not SLACK_ENTERPRISE_ID"
        if self.team_id and not teams and not (self.enterprise_id and enterprises):
            return "the request names no workspace"
        if self.enterprise_id and not self.team_id and not enterprises:
            return "the request names no organisation"
        return None


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "?")
    return str(body.get("user_id") or "?")


def incident_of(body: dict[str, Any]) -> str | None:
    """The incident a click or form submission is about, if any."""
    for value in _values(body):
        incident = _incident_in(value)
        if incident is not None:
            return incident
    return None


def _values(body: dict[str, Any]) -> Iterator[str]:
    for action in body.get("actions") or []:
        if isinstance(action, dict) and isinstance(action.get("value"), str):
            yield action["value"]
    metadata = _dig(body, "view", "private_metadata")
    if isinstance(metadata, str):
        yield metadata


def _incident_in(value: str) -> str | None:
    if is_incident_id(value):
        return value
    for decode in (_button_incident, _prompt_incident):
        try:
            candidate = decode(value)
        except (ValueError, TypeError):
            continue
        if is_incident_id(candidate):
            return candidate
    return None


def _button_incident(value: str) -> str:
    return decode_action(value).incident


def _prompt_incident(value: str) -> str:
    return decode_prompt(value).incident
