"""Catching up on what was said in incident rooms while Blastwall was down.

On start, each room is read back from just after the newest message its
transcript holds (``conversations.history`` with ``oldest``, which Slack treats
as exclusive), and each thread seen there or already known is read with
``conversations.replies``. Every message becomes the same command a live event
would, so the transcript's key keeps it to one entry, whoever records it first.

Every loop is bounded (pages per call, threads per room). What history cannot
show is not invented: a deletion while down leaves no trace to read, and of
several edits only the last is visible.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.transcript import from_history
from bot.core.commands import RecordChannelMessage
from bot.service.bus import CommandSink
from bot.service.incidents.transcript import CatchUp

log = logging.getLogger(__name__)
PAGE = 200
MAX_PAGES = 50
MAX_THREADS = 200
Read = Callable[..., Awaitable[Any]]


async def catch_up(client: AsyncWebClient, bus: CommandSink, rooms: Sequence[CatchUp]) -> int:
    """Record what each room said since its transcript's last message; returns how
    many messages were handed over. A room Slack will not show is logged and skipped."""
    if not rooms:
        return 0
    me = str((await client.auth_test()).get("user_id") or "") or None
    handed = 0
    for room in rooms:
        try:
            commands = await _missed(client, room, me)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("could not read back %s (%s): %s", room.room_id, room.incident_id, error)
            continue
        for command in commands:
            await bus.handle(command)
        handed += len(commands)
    return handed


async def _missed(
    client: AsyncWebClient, room: CatchUp, me: str | None
) -> list[RecordChannelMessage]:
    oldest = room.position.last_message_id or "0"
    threads = set(room.position.threads)
    found: list[RecordChannelMessage] = []
    for message in await _pages(client.conversations_history, channel=room.room_id, oldest=oldest):
        found += from_history(message, room.room_id, me)
        if message.get("reply_count") and message.get("thread_ts") == message.get("ts"):
            threads.add(str(message["ts"]))
    if len(threads) > MAX_THREADS:
        log.warning(
            "%s has %d threads; reading the newest %d", room.room_id, len(threads), MAX_THREADS
        )
    for thread in sorted(threads)[-MAX_THREADS:]:
        replies = client.conversations_replies
        for message in await _pages(replies, channel=room.room_id, ts=thread, oldest=oldest):
            found += from_history(message, room.room_id, me)
    return sorted(found, key=lambda c: (c.sent_at, c.key.message_id, c.key.kind.value))


async def _pages(read: Read, **args: str) -> list[dict[str, Any]]:
    """Every page Slack has (``has_more``, ``response_metadata.next_cursor``), bounded."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        answer = await read(limit=PAGE, cursor=cursor, **args)
        messages += [m for m in answer.get("messages") or [] if isinstance(m, dict)]
        cursor = str((answer.get("response_metadata") or {}).get("next_cursor") or "") or None
        if not answer.get("has_more") or cursor is None:
            return messages
    log.warning("stopped reading %s after %d pages", args.get("channel"), MAX_PAGES)
    return messages
