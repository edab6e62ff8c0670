"""What a Blastwall button carries in its ``value``: the Slack adapter's codec.

Readable keys, so a value in a Slack log or a support ticket explains itself.
Values are opaque to Slack and come back verbatim on a click; anything that does
not decode is a ``ValueError`` and the click is ignored. A value written with
the earlier one-letter keys still decodes, so cards posted before an upgrade
keep working.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bot.core.cards import PromptButton

MAX_VALUE = 2000  # Slack's limit on a button value

_SHORT = {
    "i": "incident",
    "a": "action",
    "t": "target",
    "k": "kind",
    "r": "ref",
    "h": "plan_hash",
}


@dataclass(frozen=True)
class ActionValue:
    """A card's action button: run ``action`` on ``target`` in ``incident``."""

    incident: str
    action: str
    target: str


@dataclass(frozen=True)
class PromptValue:
    """A prompt's button: ``kind`` (approve, deny, accept_command, ack_command) about
    ``ref`` (a request key or a person), bound to ``plan_hash`` for decisions."""

    kind: str
    incident: str
    ref: str
    plan_hash: str


def _encode(value: ActionValue | PromptValue) -> str:
    text = json.dumps(asdict(value), separators=(",", ":"))
    if len(text) > MAX_VALUE:
        raise ValueError("button value longer than Slack allows")
    return text


def _fields(text: str, names: set[str]) -> dict[str, str]:
    data: Any = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a Blastwall button")
    readable = {_SHORT.get(str(k), str(k)): v for k, v in data.items()}
    if set(readable) != names or not all(isinstance(v, str) for v in readable.values()):
        raise ValueError("not a Blastwall button")
    return readable


def encode_action(incident: str, action: str, target: str) -> str:
    return _encode(ActionValue(incident, action, target))


def decode_action(text: str) -> ActionValue:
    """ValueError for anything but a card's action button with every part set."""
    value = ActionValue(**_fields(text, {"incident", "action", "target"}))
    if not (value.incident and value.action and value.target):
        raise ValueError("not a Blastwall button")
    return value


def encode_prompt(button: PromptButton) -> str:
    return _encode(PromptValue(button.kind, button.incident_id, button.ref, button.plan_hash))


def decode_prompt(text: str) -> PromptValue:
    return PromptValue(**_fields(text, {"kind", "incident", "ref", "plan_hash"}))
