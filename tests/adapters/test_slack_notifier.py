"""The Slack notifier against the Web API stand-in, over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.adapters.slack.blocks import MAX_ELEMENTS, card_blocks
from bot.adapters.slack.escaping import channel_name, escape, with_suffix
from bot.adapters.slack.notifier import SlackNotifier, make_client
from bot.core.actors import Actor
from bot.core.cards import Card, CardButton
from bot.core.incidents import Environment, Incident, Severity
from tests.adapters.conftest import TOKEN
from tests.fakes.slack_api import SlackStandIn

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _incident(title: str = "Leaked key <!here> @channel <https://evil|x>") -> Incident:
    incident = Incident(
        id="INC-20261122-0001",
        title=title,
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=T0,
        declared_by=Actor("slack", "UALICE0001"),
    )
    incident.assign_commander(Actor("slack", "UALICE0001"), T0)
    return incident


def _card(buttons: int = 1) -> Card:
    return Card(
        "INC-20261122-0001",
        "Leak <@U999>",
        "SEV2",
        "declared",
        "production",
        "slack:UALICE0001",
        ("aws:access_key:AKIA1",),
        tuple(
            CardButton(
                "aws.iam.deactivate_access_key", f"aws:access_key:AKIA{n}", "Deactivate key", False
            )
            for n in range(buttons)
        ),
    )


async def test_open_room_retries_a_taken_name_invites_and_sets_topic(
    stand_in: tuple[SlackStandIn, str],
) -> None:
    slack, url = stand_in
    incident = _incident()
    taken = channel_name(incident.id, incident.playbook)
    slack.take_channel(taken)
    notifier = SlackNotifier(make_client(TOKEN, f"{url}/api/"))
    invitees = [
        Actor("slack", "UALICE0001"),
        Actor("slack", "UBOB000001"),
        Actor("slack", "UGONE00001"),
        Actor("teams", "x"),
    ]
    room = await notifier.open_room(incident, invitees)
    assert room.name == with_suffix(taken, 2)
    channel = slack.channels[room.room_id]
    assert {"UALICE0001", "UBOB000001"} <= set(channel.members)
    assert channel.topic == "SEV2 · declared · IC <@UALICE0001>"


async def test_posting_waits_out_a_rate_limit(stand_in: tuple[SlackStandIn, str]) -> None:
    slack, url = stand_in
    notifier = SlackNotifier(make_client(TOKEN, f"{url}/api/"))
    incident = _incident()
    incident.room = await notifier.open_room(incident, [])
    slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    await notifier.announce_commander(incident, Actor("slack", "UALICE0001"))
    assert slack.calls.count("chat.postMessage") == 2
    (message,) = slack.messages_in(incident.room.room_id)
    assert message.text.startswith("<@UALICE0001> is the incident commander")


async def test_untrusted_text_cannot_ping_or_link(stand_in: tuple[SlackStandIn, str]) -> None:
    slack, url = stand_in
    notifier = SlackNotifier(make_client(TOKEN, f"{url}/api/"))
    incident = _incident()
    incident.room = await notifier.open_room(incident, [])
    await notifier.announce(incident, "<!channel> hi <@U999> @here <https://evil|x>")
    await notifier.announce_commander(incident, Actor("slack", "UALICE0001"))
    await notifier.post_card(incident, _card())
    posted = " ".join(
        m.text + json.dumps(m.blocks) for m in slack.messages_in(incident.room.room_id)
    )
    for forbidden in ("<!channel>", "<!here>", "<@U999>", "<https://evil", "@here", "@channel"):
        assert forbidden not in posted


def test_escape_and_channel_names() -> None:
    assert escape("a & <b>") == "a &amp; &lt;b&gt;"
    assert "@channel" not in escape("@channel")
    name = channel_name("INC-20261122-0001", "Leaked_AWS key! " + "x" * 100)
    assert name.startswith("inc-20261122-0001-leaked_aws-key-xxx")
    assert len(name) <= 80 and len(with_suffix(name, 12)) <= 80
    assert with_suffix(name, 12).endswith("-12")


def test_many_buttons_stay_within_block_kit_limits() -> None:
    blocks = card_blocks(_card(buttons=60))
    actions = [b for b in blocks if b.get("block_id", "").startswith("bw.actions.")]
    assert [len(a["elements"]) for a in actions] == [MAX_ELEMENTS, MAX_ELEMENTS, 10]
    ids = [e["action_id"] for a in actions for e in a["elements"]]
    assert len(set(ids)) == 60
    assert all(
        len(e["text"]["text"]) <= 75 and len(e["value"]) <= 2000
        for a in actions
        for e in a["elements"]
    )
