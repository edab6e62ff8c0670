"""Slack ``message`` events (and messages read back from history) to transcript commands.

Only people's speech is kept: bot messages (``bot_id``, subtype ``bot_message``,
Blastwall's own user) and Slack's notices (``channel_join``, topic changes and the
like) translate to nothing. An edit (``message_changed`` with ``edited``) and a
deletion (``message_deleted``) become entries of their own that name the
original message's ``ts``; a ``message_changed`` without ``edited`` is Slack
updating a message (a reply count, an unfurl), not a person, and is skipped.

The author is the ``user`` of the signed event (or of Slack's own history
answer), never a name from the text. Slack does not say who deleted a message,
so a deletion carries the deleted message's author.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.actors import Actor
from bot.core.commands import RecordChannelMessage
from bot.core.evidence import What
from bot.core.transcript import MessageKey

SPEECH = frozenset({"", "thread_broadcast", "file_share", "me_message"})
UNKNOWN_AUTHOR = "unknown"


def from_event(event: Mapping[str, Any], bot_user: str | None) -> RecordChannelMessage | None:
    """The command for one Events API ``message`` event, or None to record nothing."""
    channel = str(event.get("channel") or "")
    subtype = str(event.get("subtype") or "")
    if subtype == "message_changed":
        return _edited(event, channel, bot_user, "event")
    if subtype == "message_deleted":
        return _deleted(event, channel, bot_user)
    return _said(event, channel, bot_user, "event")


def from_history(
    message: Mapping[str, Any], channel: str, bot_user: str | None
) -> list[RecordChannelMessage]:
    """A message read back with ``conversations.history``/``replies``: the message,
    and its latest edit when it has one (earlier edits are no longer visible)."""
    said = _said(message, channel, bot_user, "backfill")
    if said is None:
        return []
    edited = _edited({"message": message, "ts": ""}, channel, bot_user, "backfill")
    return [said] if edited is None else [said, edited]


def _said(
    message: Mapping[str, Any], channel: str, bot_user: str | None, through: str
) -> RecordChannelMessage | None:
    if str(message.get("subtype") or "") not in SPEECH:
        return None
    user, ts = _person(message, bot_user), str(message.get("ts") or "")
    sent_at = _time(ts)
    if user is None or sent_at is None or not channel:
        return None
    return RecordChannelMessage(
        actor=Actor("slack", user),
        room=("slack", channel),
        key=MessageKey(ts, What.CHANNEL_MESSAGE),
        sent_at=sent_at,
        text=str(message.get("text") or ""),
        thread_id=_thread(message),
        through=through,
    )


def _edited(
    event: Mapping[str, Any], channel: str, bot_user: str | None, through: str
) -> RecordChannelMessage | None:
    message = event.get("message")
    if not isinstance(message, Mapping) or not isinstance(message.get("edited"), Mapping):
        return None
    ts = str(message.get("ts") or "")
    change = str(message["edited"].get("ts") or event.get("ts") or "")
    user, sent_at = _person(message, bot_user), _time(change)
    if user is None or sent_at is None or not ts or not channel:
        return None
    return RecordChannelMessage(
        actor=Actor("slack", user),
        room=("slack", channel),
        key=MessageKey(ts, What.CHANNEL_MESSAGE_EDITED, change),
        sent_at=sent_at,
        text=str(message.get("text") or ""),
        thread_id=_thread(message),
        through=through,
    )


def _deleted(
    event: Mapping[str, Any], channel: str, bot_user: str | None
) -> RecordChannelMessage | None:
    previous = event.get("previous_message")
    previous = previous if isinstance(previous, Mapping) else {}
    user = _person(previous, bot_user) if previous else UNKNOWN_AUTHOR
    ts = str(event.get("deleted_ts") or previous.get("ts") or "")
    sent_at = _time(str(event.get("ts") or ts))
    if user is None or sent_at is None or not ts or not channel:
        return None
    return RecordChannelMessage(
        actor=Actor("slack", user),
        room=("slack", channel),
        key=MessageKey(ts, What.CHANNEL_MESSAGE_DELETED),
        sent_at=sent_at,
        thread_id=_thread(previous),
    )


def _person(message: Mapping[str, Any], bot_user: str | None) -> str | None:
    """The human author, or None for a bot (any bot, Blastwall included)."""
    user = message.get("user")
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        return None
    if not isinstance(user, str) or not user or user == bot_user:
        return None
    return user


def _thread(message: Mapping[str, Any]) -> str:
    """The thread a reply belongs to; empty for a top-level message (a thread's
    parent carries its own ``ts`` as ``thread_ts``)."""
    thread = str(message.get("thread_ts") or "")
    return "" if thread == str(message.get("ts") or "") else thread


def _time(ts: str) -> datetime | None:
    try:
        seconds = float(ts)
    except ValueError:
        return None
    if not 0 < seconds < 1e11:
        return None
    return datetime.fromtimestamp(seconds, UTC)
