"""The Notifier port on Slack's Web API.

Every call goes through one AsyncWebClient whose retry handlers wait out
HTTP 429 (after ``Retry-After``) and transient server errors, a bounded number
of times. While the app runs, the client holds one aiohttp session (``start``,
``close``), so calls reuse pooled connections instead of opening one each.
``conversations.create`` is Web API tier 2 (about 20 a minute, bursts allowed):
it is paced here, so a burst of alerts queues its rooms instead of drawing 429s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
from aiolimiter import AsyncLimiter
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import card_blocks, card_text, prompt_blocks
from bot.adapters.slack.escaping import channel_name, escape, mention, with_suffix
from bot.core.actors import Actor
from bot.core.cards import Card, Prompt
from bot.core.incidents import Incident, MessageRef, RoomRef

log = logging.getLogger(__name__)
NAME_ATTEMPTS = 20
MAX_RETRIES = 5
CREATE_LIMIT, CREATE_WINDOW_S = 20, 60.0  # Slack's tier 2: 20 a minute
PACE_SLACK = (1.05, 0.15)  # calls reach Slack with jitter: pace as if the window were longer
CALL_TIMEOUT_S = 15


def make_client(token: str, base_url: str | None = None) -> AsyncWebClient:
    url = base_url or "https://slack.com/api/"
    return AsyncWebClient(
        token=token,
        base_url=url if url.endswith("/") else url + "/",
        timeout=CALL_TIMEOUT_S,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_pace(limit: int, window_s: float) -> AsyncLimiter:
    """A leaky bucket that never lets more than ``limit`` calls into any ``window_s``:
    a burst of a quarter of them at once, the rest spread over the window (a bucket of
    size b leaking r per second admits at most b + r * window in any window)."""
    burst = max(1, limit // 4)
    stretch, extra_s = PACE_SLACK
    rate = (limit - burst) / (window_s * stretch + extra_s)
    return AsyncLimiter(burst, burst / rate)


def _mentions(asked: str) -> dict[str, object]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": asked}]}


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", ""))


class SlackNotifier:
    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        create_limit: int = CREATE_LIMIT,
        create_window_s: float = CREATE_WINDOW_S,
    ) -> None:
        self.client = client
        self._create_pace = create_pace(create_limit, create_window_s)

    async def start(self) -> None:
        """Give the client (and bolt, which shares it) one pooled session; in the loop."""
        if self.client.session is None or self.client.session.closed:
            timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_S)
            self.client.session = aiohttp.ClientSession(timeout=timeout)

    async def close(self) -> None:
        session, self.client.session = self.client.session, None
        if session is not None:
            await session.close()

    async def open_room(
        self, incident: Incident, invitees: Sequence[Actor], *, private: bool = True
    ) -> RoomRef:
        channel_id, name = await self._create(channel_name(incident.id, incident.playbook), private)
        await self._invite(channel_id, [a.user_id for a in invitees if a.platform == "slack"])
        topic = f"{incident.severity.value} · {incident.status.value} · IC " + mention(
            incident.commander.principal if incident.commander else None
        )
        await self.client.conversations_setTopic(channel=channel_id, topic=topic[:250])
        return RoomRef(platform=self.platform, room_id=channel_id, name=name)

    async def archive_room(self, incident: Incident) -> None:
        if incident.room is not None:
            await self.client.conversations_archive(channel=incident.room.room_id)

    async def _create(self, base: str, private: bool) -> tuple[str, str]:
        for n in range(1, NAME_ATTEMPTS + 1):
            name = with_suffix(base, n)
            try:
                async with self._create_pace:
                    answer = await self.client.conversations_create(name=name, is_private=private)
            except SlackApiError as exc:
                if _error(exc) == "name_taken":
                    continue
                raise
            return str(answer["channel"]["id"]), name
        raise RuntimeError(f"no free channel name after {NAME_ATTEMPTS} tries for {base}")

    async def _invite(self, channel_id: str, users: list[str]) -> None:
        """Invite everyone it can; one user who cannot be invited must not sink the room."""
        if not users:
            return
        try:
            await self.client.conversations_invite(
                channel=channel_id, users=",".join(sorted(set(users))), force=True
            )
        except SlackApiError as exc:
            if _error(exc) != "already_in_channel":
                log.warning(
                    "could not invite all of %s to %s: %s",
                    users,
                    channel_id,
                    exc.response.get("errors") or _error(exc),
                )

    async def announce(self, incident: Incident, text: str) -> None:
        await self._post(incident, escape(text))

    async def announce_commander(self, incident: Incident, commander: Actor) -> None:
        await self._post(
            incident,
            f"{mention(commander.principal)} is the incident commander "
            f"for {incident.id}: {escape(incident.title)}",
        )

    async def _post(self, incident: Incident, mrkdwn: str) -> None:
        assert incident.room is not None
        await self.client.chat_postMessage(
            channel=incident.room.room_id,
            text=mrkdwn,
            link_names=False,
            unfurl_links=False,
            unfurl_media=False,
        )

    async def ask(self, incident: Incident, people: Sequence[Actor], prompt: Prompt) -> None:
        """In the room with mentions, then to each person directly (a DM)."""
        assert incident.room is not None
        blocks = prompt_blocks(prompt)
        slack_people = [a for a in people if a.platform == self.platform]
        asked = " ".join(mention(a.principal) for a in slack_people)
        text = f"{asked} {escape(prompt.text)}".strip()
        await self.client.chat_postMessage(
            channel=incident.room.room_id,
            text=text,
            blocks=[_mentions(asked), *blocks] if asked else blocks,
        )
        for person in slack_people:
            try:
                await self.client.chat_postMessage(channel=person.user_id, text=text, blocks=blocks)
            except SlackApiError as exc:
                log.warning("could not message %s directly: %s", person.principal, _error(exc))

    async def post_card(self, incident: Incident, card: Card) -> MessageRef:
        assert incident.room is not None
        answer = await self.client.chat_postMessage(
            channel=incident.room.room_id,
            text=card_text(card),
            blocks=card_blocks(card),
            unfurl_links=False,
            unfurl_media=False,
        )
        return MessageRef(self.platform, incident.room.room_id, str(answer["ts"]))

    async def update_card(self, ref: MessageRef, card: Card) -> None:
        await self.client.chat_update(
            channel=ref.room_id, ts=ref.message_id, text=card_text(card), blocks=card_blocks(card)
        )

    async def tell(self, incident: Incident, actor: Actor, text: str) -> None:
        """Ephemeral in the room; a direct message when they are not in the room."""
        if actor.platform != self.platform or incident.room is None:
            log.info("cannot tell %s on Slack: %s", actor.principal, text)
            return
        try:
            await self.client.chat_postEphemeral(
                channel=incident.room.room_id, user=actor.user_id, text=escape(text)
            )
        except SlackApiError as exc:
            if _error(exc) != "user_not_in_channel":
                raise
            await self.client.chat_postMessage(
                channel=actor.user_id, text=escape(text), link_names=False
            )
