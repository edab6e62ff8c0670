"""A stateful stand-in for the Slack Web API, spoken to over real HTTP.

It answers like Slack: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false,
"error": "..."}``, real error codes, and HTTP 429 with ``Retry-After`` when a
test asks for it. Tests read its state to assert on what Blastwall did.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes import slack_history

TRIGGER_TTL_S = 3.0
HOLD_S = 30.0  # a held call goes on by itself after this, so no test can hang on it
_NAME = re.compile(r"^[a-z0-9_-]+$")


class SlackError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass
class Channel:
    id: str
    name: str
    members: list[str] = field(default_factory=list)
    topic: str = ""
    is_private: bool = False
    archived: bool = False


@dataclass
class Button:
    action_id: str
    value: str
    text: str


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    updates: list[list[dict[str, Any]]] = field(default_factory=list)
    user: str = ""
    bot_id: str = ""  # set on what a bot posted (Blastwall's chat.postMessage)
    thread_ts: str = ""
    edited_ts: str = ""

    def buttons(self) -> list[Button]:
        return [
            Button(e["action_id"], e["value"], e["text"]["text"])
            for b in self.blocks
            if b.get("type") == "actions"
            for e in b["elements"]
        ]

    def button(self, action_id: str) -> Button:
        return next(
            b
            for b in self.buttons()
            if b.action_id.startswith("bw.act.") and json.loads(b.value)["action"] == action_id
        )

    def prompt_button(self, kind: str) -> Button:
        return next(
            b
            for b in self.buttons()
            if b.action_id.startswith("bw.ask.") and json.loads(b.value)["kind"] == kind
        )


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str


class SlackStandIn:
    def __init__(
        self,
        token: str,
        users: list[str],
        bot_user: str = "UBLASTWALL",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.users = set(users) | {bot_user}
        self.bot_user = bot_user
        self.clock = clock
        self.channels: dict[str, Channel] = {}
        self.messages: list[Message] = []
        self.ephemerals: list[Ephemeral] = []
        self.views: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.received: list[tuple[str, dict[str, Any]]] = []  # every call's arguments
        self._triggers: dict[str, float] = {}
        self._limits: dict[str, tuple[int, int]] = {}
        self._broken: dict[str, tuple[int, int]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._held: dict[str, threading.Event] = {}
        self._tiers: dict[str, tuple[int, float]] = {}
        self.served_at: dict[str, list[float]] = {}  # when each tiered call was let through
        self.tier_refusals: dict[str, int] = {}  # 429s the enforced tier gave
        self.app = self._build()

    # --- what tests arrange --------------------------------------------------

    def rate_limit(self, method: str, times: int, retry_after: int = 1) -> None:
        self._limits[method] = (times, retry_after)

    def break_method(self, method: str, times: int, status: int = 503) -> None:
        """The next ``times`` calls of ``method`` answer with a server error."""
        self._broken[method] = (times, status)

    def hold(self, method: str) -> threading.Event:
        """Calls of ``method`` wait (at most ``HOLD_S``) until the returned event is set."""
        gate = threading.Event()
        self._held[method] = gate
        return gate

    def enforce_tier(self, method: str, limit: int, window_s: float) -> None:
        """Slack's per-method rate tier: at most ``limit`` calls of ``method`` in any
        ``window_s`` seconds; one more gets 429 with ``Retry-After`` (whole seconds, as
        Slack sends it). Off unless a test asks, so other tests are not slowed."""
        self._tiers[method] = (limit, window_s)
        self.served_at.setdefault(method, [])
        self.tier_refusals.setdefault(method, 0)

    def issue_trigger(self) -> str:
        trigger = f"{next(self._ids)}.{next(self._ids)}.trigger"
        self._triggers[trigger] = self.clock()
        return trigger

    def take_channel(self, name: str) -> str:
        """Create a channel as someone else would, so Blastwall finds the name taken."""
        return str(self._create({"name": name})["channel"]["id"])

    # --- what tests read -----------------------------------------------------

    def channel_named(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def channel_named_prefix(self, prefix: str) -> Channel | None:
        found = [c for c in self.channels.values() if c.name.startswith(prefix)]
        return found[-1] if found else None

    def messages_in(self, channel_id: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel_id]

    def card_in(self, channel_id: str) -> Message | None:
        return next(
            (
                m
                for m in self.messages_in(channel_id)
                if any(b.action_id.startswith("bw.cmd.") for b in m.buttons())
            ),
            None,
        )

    def prompts_in(self, channel_id: str, kind: str) -> list[Message]:
        return [
            m
            for m in self.messages_in(channel_id)
            if any(
                b.action_id.startswith("bw.ask.") and json.loads(b.value)["kind"] == kind
                for b in m.buttons()
            )
        ]

    def say(self, channel_id: str, user: str, text: str, thread_ts: str = "") -> Message:
        """A person posts in a channel (Slack's client, not the Web API): the message
        ``conversations.history`` shows, and a test's driver may deliver as an event."""
        with self._lock:
            message = Message(channel_id, self._ts(), text, [], user=user, thread_ts=thread_ts)
            self.messages.append(message)
        return message

    def edit(self, message: Message, text: str) -> str:
        """A person edits their message; returns the edit's ``ts`` (``edited.ts``)."""
        with self._lock:
            message.text, message.edited_ts = text, self._ts()
        return message.edited_ts

    def delete(self, message: Message) -> str:
        """A person deletes a message; returns the deletion event's ``ts``."""
        with self._lock:
            self.messages.remove(message)
            return self._ts()

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    def join(self, channel_id: str, user: str) -> None:
        self.channels[channel_id].members.append(user)

    def direct_messages_to(self, user: str) -> list[Message]:
        return self.messages_in(f"D{user}")

    def ephemeral_to(self, user: str) -> Ephemeral | None:
        found = [e for e in self.ephemerals if e.user == user]
        return found[-1] if found else None

    def updated_card_mentions(self, channel_id: str, text: str) -> bool | None:
        card = self.card_in(channel_id)
        return True if card and any(text in json.dumps(u) for u in card.updates) else None

    # --- the Web API ---------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()
        methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "conversations.create": self._create,
            "conversations.invite": self._invite,
            "conversations.setTopic": self._set_topic,
            "conversations.archive": self._archive,
            "conversations.info": self._info,
            "conversations.members": self._members,
            "chat.postMessage": self._post,
            "chat.update": self._update,
            "chat.postEphemeral": self._ephemeral,
            "views.open": self._views_open,
            "users.info": self._users_info,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
        }

        @app.api_route("/api/{method}", methods=["GET", "POST"])
        async def call(method: str, request: Request) -> JSONResponse:
            args = await _arguments(request)
            gate = self._held.get(method)
            if gate is not None:
                await asyncio.to_thread(gate.wait, HOLD_S)
            with self._lock:
                self.calls.append(method)
                self.received.append((method, args))
                limited = self._limited(method)
                if limited is not None:
                    return limited
                if not self._authorized(request):
                    return JSONResponse({"ok": False, "error": "invalid_auth"})
                if method not in methods:
                    return JSONResponse({"ok": False, "error": "unknown_method"})
                try:
                    return JSONResponse({"ok": True, **methods[method](args)})
                except SlackError as err:
                    return JSONResponse({"ok": False, "error": err.code, **err.extra})

        @app.post("/response_url/{ref}")
        async def respond(ref: str, request: Request) -> JSONResponse:
            self.responses.append({"ref": ref, **json.loads(await request.body())})
            return JSONResponse({"ok": True})

        return app

    def _over_tier(self, method: str) -> JSONResponse | None:
        if method not in self._tiers:
            return None
        limit, window_s = self._tiers[method]
        now = self.clock()
        recent = [t for t in self.served_at[method] if t > now - window_s]
        if len(recent) < limit:
            self.served_at[method].append(now)
            return None
        self.tier_refusals[method] += 1
        wait = max(1, math.ceil(recent[0] + window_s - now))
        return JSONResponse(
            {"ok": False, "error": "ratelimited"},
            status_code=429,
            headers={"Retry-After": str(wait)},
        )

    def _limited(self, method: str) -> JSONResponse | None:
        over = self._over_tier(method)
        if over is not None:
            return over
        broken, status = self._broken.get(method, (0, 0))
        if broken > 0:
            self._broken[method] = (broken - 1, status)
            return JSONResponse({"ok": False, "error": "internal_error"}, status_code=status)
        times, retry_after = self._limits.get(method, (0, 0))
        if times <= 0:
            return None
        self._limits[method] = (times - 1, retry_after)
        return JSONResponse(
            {"ok": False, "error": "ratelimited"},
            status_code=429,
            headers={"Retry-After": str(retry_after)},
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": self.bot_user,
            "bot_id": "BBLASTWALL",
            "team_id": "T0TEST",
            "user": "blastwall",
            "team": "Test",
            "url": "https://test.slack.invalid/",
        }

    def _create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("name", ""))
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not name or not _NAME.match(name):
            raise SlackError("invalid_name_specials")
        if self.channel_named(name):
            raise SlackError("name_taken")
        private = str(args.get("is_private", "")).lower() in ("1", "true")
        channel = Channel(
            id=f"C{next(self._ids):08d}",
            name=name,
            members=[self.bot_user],
            is_private=private,
        )
        self.channels[channel.id] = channel
        return {"channel": {"id": channel.id, "name": name}}

    def _channel(self, args: dict[str, Any]) -> Channel:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _archive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel.archived:
            raise SlackError("already_archived")
        channel.archived = True
        return {}

    def _invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        users = [u for u in str(args.get("users", "")).split(",") if u]
        unknown = [u for u in users if u not in self.users]
        fresh = [u for u in users if u in self.users and u not in channel.members]
        if unknown and str(args.get("force", "")).lower() not in ("1", "true"):
            raise SlackError("user_not_found")
        if not fresh and not unknown:
            raise SlackError("already_in_channel")
        channel.members += fresh
        if unknown:
            raise SlackError(
                "user_not_found",
                errors=[{"user": u, "ok": False, "error": "user_not_found"} for u in unknown],
            )
        return {"channel": {"id": channel.id}}

    def _set_topic(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        topic = str(args.get("topic", ""))
        if len(topic) > 250:
            raise SlackError("too_long")
        channel.topic = topic
        return {"channel": {"id": channel.id, "topic": {"value": topic}}}

    def _info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        return {
            "channel": {"id": channel.id, "name": channel.name, "topic": {"value": channel.topic}}
        }

    def _members(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"members": list(self._channel(args).members)}

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") in self.users:  # a direct message opens the IM
            self.channels.setdefault(
                f"D{args['channel']}",
                Channel(
                    id=f"D{args['channel']}", name="", members=[self.bot_user, args["channel"]]
                ),
            )
            args = {**args, "channel": f"D{args['channel']}"}
        channel = self._channel(args)
        if self.bot_user not in channel.members:
            raise SlackError("not_in_channel")
        message = Message(
            channel.id,
            f"{int(time.time())}.{next(self._ids):06d}",
            str(args.get("text", "")),
            _blocks(args.get("blocks")),
            user=self.bot_user,
            bot_id="BBLASTWALL",
            thread_ts=str(args.get("thread_ts") or ""),
        )
        self.messages.append(message)
        return {"channel": channel.id, "ts": message.ts}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = next(
            (m for m in self.messages if m.channel == channel.id and m.ts == args.get("ts")), None
        )
        if message is None:
            raise SlackError("message_not_found")
        message.blocks = _blocks(args.get("blocks"))
        message.text = str(args.get("text", message.text))
        message.updates.append(message.blocks)
        return {"channel": channel.id, "ts": message.ts}

    def _ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        user = str(args.get("user", ""))
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        self.ephemerals.append(Ephemeral(channel.id, user, str(args.get("text", ""))))
        return {"message_ts": f"{int(time.time())}.{next(self._ids):06d}"}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args.get("trigger_id", ""))
        issued = self._triggers.pop(trigger, None)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if self.clock() - issued > TRIGGER_TTL_S:
            raise SlackError("expired_trigger_id")
        view = args.get("view")
        self.views.append(json.loads(view) if isinstance(view, str) else dict(view or {}))
        return {"view": {"id": f"V{next(self._ids):08d}"}}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user", ""))
        if user not in self.users:
            raise SlackError("user_not_found")
        return {"user": {"id": user, "name": user.lower()}}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._read(slack_history.history, args)

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._read(slack_history.replies, args)

    def _read(self, read: Callable[..., dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if self.bot_user not in channel.members:
            raise SlackError("not_in_channel")
        try:
            return read(channel, self.messages, args)
        except slack_history.HistoryError as err:
            raise SlackError(err.code) from err


def _blocks(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        raw = json.loads(raw)
    return list(raw or [])


async def _arguments(request: Request) -> dict[str, Any]:
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        args: dict[str, Any] = json.loads(body) if body else {}
    else:
        args = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {**dict(request.query_params), **args}
