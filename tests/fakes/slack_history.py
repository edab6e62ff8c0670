"""``conversations.history`` and ``conversations.replies`` for the Slack stand-in.

Shapes as Slack documents them: history lists a channel's top-level messages
newest first (a thread's parent carries ``thread_ts``, ``reply_count`` and
``latest_reply``; its replies are not listed); replies lists the parent first,
then its replies oldest first. ``oldest`` and ``latest`` are exclusive unless
``inclusive``; pages are ``limit`` long (default 100, at most 999) and continue
with ``response_metadata.next_cursor`` while ``has_more``. Errors are Slack's:
``channel_not_found``, ``not_in_channel``, ``thread_not_found``, ``invalid_cursor``,
``invalid_ts_oldest``, ``invalid_ts_latest``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.slack_api import Channel, Message


class HistoryError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def history(channel: Channel, messages: Sequence[Message], args: dict[str, Any]) -> dict[str, Any]:
    inside = _window(args)
    top = [m for m in messages if m.channel == channel.id and not _is_reply(m) and inside(m.ts)]
    shown = [_shape(m, messages) for m in sorted(top, key=lambda m: Decimal(m.ts), reverse=True)]
    return _page(shown, args)


def replies(channel: Channel, messages: Sequence[Message], args: dict[str, Any]) -> dict[str, Any]:
    parent = next((m for m in messages if m.channel == channel.id and m.ts == args.get("ts")), None)
    if parent is None or _is_reply(parent):
        raise HistoryError("thread_not_found")
    inside = _window(args)
    thread = [
        m
        for m in messages
        if m.channel == channel.id and m.thread_ts == parent.ts and m is not parent
    ]
    later = sorted((m for m in thread if inside(m.ts)), key=lambda m: Decimal(m.ts))
    return _page([_shape(parent, messages), *(_shape(m, messages) for m in later)], args)


def _is_reply(message: Message) -> bool:
    return bool(message.thread_ts) and message.thread_ts != message.ts


def _stamp(args: dict[str, Any], name: str) -> Decimal | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise HistoryError(f"invalid_ts_{name}") from None


def _window(args: dict[str, Any]) -> Callable[[str], bool]:
    oldest, latest = _stamp(args, "oldest"), _stamp(args, "latest")
    inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")

    def inside(ts: str) -> bool:
        at = Decimal(ts)
        after = oldest is None or at > oldest or (inclusive and at == oldest)
        before = latest is None or at < latest or (inclusive and at == latest)
        return after and before

    return inside


def _shape(message: Message, messages: Sequence[Message]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"type": "message", "user": message.user, "text": message.text}
    shaped["ts"] = message.ts
    if message.bot_id:
        shaped["bot_id"] = message.bot_id
    if message.edited_ts:
        shaped["edited"] = {"user": message.user, "ts": message.edited_ts}
    if message.thread_ts:
        shaped["thread_ts"] = message.thread_ts
    thread = [m.ts for m in messages if m.thread_ts == message.ts and m is not message]
    if thread and not _is_reply(message):
        shaped.update(thread_ts=message.ts, reply_count=len(thread), latest_reply=max(thread))
    return shaped


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    try:
        limit = min(max(int(args.get("limit") or 100), 1), 999)
    except ValueError:
        limit = 100
    start = _offset(str(args.get("cursor") or ""))
    page, rest = items[start : start + limit], items[start + limit :]
    following = _cursor(start + limit) if rest else ""
    return {
        "messages": page,
        "has_more": bool(rest),
        "pin_count": 0,
        "response_metadata": {"next_cursor": following},
    }


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.b64decode(cursor, validate=True).decode().partition(":")
        if kind != "offset":
            raise ValueError(kind)
        return int(value)
    except ValueError:
        raise HistoryError("invalid_cursor") from None
