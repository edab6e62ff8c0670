"""The Teams notifier against the stand-in: escaping, 1:1 chats, retries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.teams.calls import TeamsCallError
from bot.adapters.teams.references import ConversationRef
from bot.core.actors import Actor
from bot.core.cards import Prompt, PromptButton, PromptKind
from bot.core.incidents import Environment, Incident, RoomRef, Severity
from tests.adapters.teams.conftest import TeamsRig
from tests.fakes.teams_service import TEAM_ID

pytestmark = pytest.mark.db

ALICE, BOB = "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"


def _incident(room: str | None = "19:room@thread.tacv2") -> Incident:
    return Incident(
        id="INC-20261201-0007",
        title='Key <at>Everyone</at> & "friends"',
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=datetime.now(UTC),
        declared_by=Actor("teams", ALICE),
        room=RoomRef("teams", room, "Incident INC-20261201-0007") if room else None,
    )


async def test_text_is_escaped_and_the_commander_really_mentioned(rig: TeamsRig) -> None:
    await rig.refs.remember(
        ConversationRef(f"user:{ALICE}", "user", rig.teams.service_url, user_aad=ALICE, name="Al")
    )
    incident = _incident()
    await rig.notifier.announce(incident, "<at>Everyone</at> look")
    await rig.notifier.announce_commander(incident, Actor("teams", ALICE))
    posted = [r.body["activity"] for r in rig.teams.calls("POST", "/connector/v3/conversations")]
    assert posted[0]["text"] == "&lt;at&gt;Everyone&lt;/at&gt; look" and not posted[0]["entities"]
    assert posted[1]["text"].startswith("<at>Al</at> is the incident commander")
    assert "&lt;at&gt;Everyone&lt;/at&gt; &amp; &quot;friends&quot;" in posted[1]["text"]
    assert posted[1]["entities"] == [
        {"type": "mention", "text": "<at>Al</at>", "mentioned": {"id": ALICE, "name": "Al"}}
    ]


async def test_asked_people_get_the_card_in_their_1to1_chat(rig: TeamsRig) -> None:
    """Escalation notices and approvals take this path (notifications.escalate, ask_approvers)."""
    await rig.refs.remember(
        ConversationRef(f"personal:{ALICE}", "personal", rig.teams.service_url, "a:chat-alice")
    )
    await rig.refs.remember(
        ConversationRef(
            f"user:{BOB}", "user", rig.teams.service_url, user_aad=BOB, user_id="29:bob"
        )
    )
    prompt = Prompt(
        "Acknowledge <b>now</b>", (PromptButton("Acknowledge", PromptKind.ACK_COMMAND, "INC"),)
    )
    people = [Actor("teams", ALICE), Actor("teams", BOB), Actor("slack", "U1")]
    await rig.notifier.ask(_incident(), people, prompt)
    to_alice = rig.teams.calls("POST", "/connector/v3/conversations/a:chat-alice/activities")
    to_bob = rig.teams.calls("POST", "/connector/v3/conversations/a:personal-29:bob/activities")
    assert len(to_alice) == len(to_bob) == 1
    content = to_bob[0].body["attachments"][0]["content"]
    assert "Acknowledge &lt;b&gt;now&lt;/b&gt;" in str(content)
    await rig.notifier.tell(_incident(), Actor("teams", ALICE), "Not done: <at>x</at>")
    assert len(rig.teams.calls("POST", "/connector/v3/conversations/a:chat-alice/")) == 2


async def test_throttling_and_gateway_errors_are_retried_within_a_bound(rig: TeamsRig) -> None:
    team = ConversationRef(f"team:{TEAM_ID}", "team", rig.teams.service_url, TEAM_ID)
    await rig.refs.remember(team)
    for status in (429, 412, 502, 504):
        rig.teams.fail("/graph/", status)
    room = await rig.notifier.open_room(_incident(None), [Actor("teams", BOB)])
    assert room.name == "Incident INC-20261201-0007" and room.room_id.startswith("19:")
    assert len(rig.teams.calls("POST", f"/graph/teams/{TEAM_ID}/channels")) == 5
    assert len(rig.teams.calls("POST", "/login/")) == 1  # the token is cached

    rig.teams.fail("/connector/", 429, times=5)
    with pytest.raises(TeamsCallError):
        await rig.notifier.announce(_incident(), "never through")
    rig.teams.fail("/connector/", 400)
    with pytest.raises(TeamsCallError):
        await rig.notifier.announce(_incident(), "not retried")
    assert len(rig.teams.calls("POST", "/connector/v3/conversations")) == 6


async def test_retry_after_is_honoured_within_the_cap_and_a_refused_token_renewed(
    rig: TeamsRig,
) -> None:
    team = ConversationRef(f"team:{TEAM_ID}", "team", rig.teams.service_url, TEAM_ID)
    await rig.refs.remember(team)
    rig.teams.fail("/connector/", 429, retry_after="30")  # capped by max_wait_s in tests
    await rig.notifier.announce(_incident(), "after a throttle")
    assert len(rig.teams.calls("POST", "/connector/v3/conversations")) == 2

    rig.teams.tokens.clear()  # Entra revoked every token before its expiry
    await rig.notifier.announce(_incident(), "with a new token")
    assert len(rig.teams.calls("POST", "/login/")) == 2
    assert len(rig.teams.calls("POST", "/connector/v3/conversations")) == 4
