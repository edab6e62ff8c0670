"""Reading a room back after downtime, against the Slack stand-in's history: pages
followed to the end (newest first, ``has_more``, ``next_cursor``), ``oldest``
exclusive, threads read with ``conversations.replies``, bots skipped, and a room
Slack will not show skipped without stopping the others."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.adapters.slack import backfill
from bot.adapters.slack.backfill import catch_up
from bot.adapters.slack.notifier import make_client
from bot.core.commands import RecordChannelMessage
from bot.core.transcript import TranscriptPosition
from bot.service.incidents.transcript import CatchUp
from tests.adapters.conftest import TOKEN, USERS, RecordingBus
from tests.fakes.slack_api import SlackStandIn

ALICE, BOB = USERS


async def test_the_stand_in_pages_history_as_slack_does(
    stand_in: tuple[SlackStandIn, str],
) -> None:
    slack, url = stand_in
    room = slack.take_channel("inc-history")
    said = [slack.say(room, ALICE, f"m{n}") for n in range(5)]
    client = make_client(TOKEN, f"{url}/api/")
    first = await client.conversations_history(channel=room, limit=2, oldest=said[0].ts)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(
        channel=room, limit=2, oldest=said[0].ts, cursor=cursor
    )
    assert [m["text"] for m in rest["messages"]] == ["m2", "m1"]
    assert rest["has_more"] is False and rest["response_metadata"]["next_cursor"] == ""
    for channel, cursor, error in (
        ("CNOPE", None, "channel_not_found"),
        (room, "bm9wZQ==", "invalid_cursor"),
    ):
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_history(channel=channel, cursor=cursor)
        assert refused.value.response["error"] == error


async def test_a_room_is_read_back_whole_in_order_once(
    stand_in: tuple[SlackStandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill, "PAGE", 2)  # so that every read takes several pages
    slack, url = stand_in
    room = slack.take_channel("inc-backfill")
    recorded = slack.say(room, ALICE, "recorded before the outage")
    missed = [slack.say(room, BOB, f"missed {n}") for n in range(3)]
    missed += [slack.say(room, ALICE, f"reply {n}", thread_ts=missed[0].ts) for n in range(3)]
    slack.say(room, "UDEPLOYBOT", "deploy finished").bot_id = "B0DEPLOY"
    hidden = slack.channels[slack.take_channel("inc-not-a-member")]
    hidden.members.clear()
    bus = RecordingBus()
    rooms = [
        CatchUp("INC-1", hidden.id, TranscriptPosition(None)),
        CatchUp("INC-2", room, TranscriptPosition(recorded.ts)),
    ]

    handed = await catch_up(make_client(TOKEN, f"{url}/api/"), bus, rooms)

    commands = [c for c in bus.commands if isinstance(c, RecordChannelMessage)]
    assert handed == len(commands) == len(bus.commands) == 7  # the parent twice: history, replies
    assert sorted({c.key.message_id for c in commands}) == sorted(m.ts for m in missed)
    assert [c.key.message_id for c in commands] == sorted(c.key.message_id for c in commands)
    assert {c.thread_id for c in commands if c.text.startswith("reply")} == {missed[0].ts}
    assert all(c.through == "backfill" and c.room == ("slack", room) for c in commands)
