"""Making untrusted text safe for Slack, and naming channels Slack accepts.

Slack turns ``<!channel>``, ``<@U123>`` and ``<http://x|y>`` into pings and
links, so user and alert text gets ``&``, ``<`` and ``>`` escaped; a literal
``@channel`` gets a word joiner so nothing can notify a whole channel.
"""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")
_WORD_JOINER = "\u2060"
MAX_CHANNEL_NAME = 80


def escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: f"@{_WORD_JOINER}{m.group(1)}", text)


def mention(principal: str | None) -> str:
    """A mention for a Slack principal; anything else as escaped plain text."""
    if principal is None:
        return "nobody"
    platform, _, user_id = principal.partition(":")
    if platform == "slack" and re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
        return f"<@{user_id}>"
    return escape(principal)


def channel_name(incident_id: str, playbook: str = "") -> str:
    """``inc-20261122-0007-leaked-aws-key``: the incident id and the playbook's name.

    Never the title or any other user or alert text: a channel name is visible
    to the whole workspace, cannot be redacted after the fact, and would carry
    whatever secret a title held. The playbook name is the operator's own word.
    Lowercase, ``[a-z0-9_-]``, at most 80 characters.
    """
    base = _NOT_ALLOWED.sub("-", incident_id.lower()).strip("-")
    slug = _NOT_ALLOWED.sub("-", playbook.lower()).strip("-")
    name = f"{base}-{slug}" if slug else base
    return name[:MAX_CHANNEL_NAME].rstrip("-")


def with_suffix(name: str, n: int) -> str:
    """The n-th alternative when the name is taken, still within 80 characters."""
    if n <= 1:
        return name
    suffix = f"-{n}"
    return name[: MAX_CHANNEL_NAME - len(suffix)].rstrip("-") + suffix
