"""The message bus: commands in (one handler each), events out (any number of handlers).

Adapters only ever call ``handle``; they never reach a handler directly, so
Slack, Teams, the console and alert intake share one behaviour.

Handlers never call one another either. A handler returns what happened (events)
and, when its work continues elsewhere, the follow-up commands for the bus to run
next (an approval that completes a request returns the command that runs it). So
every step's events reach the people who react to them: nothing a handler raises
is lost inside another handler.

The bus is also the one place outside text enters: every command passes the
``screen`` (the secret redactor, wired in ``bot.app``) before its handler runs,
so no door (alert, slash command, modal, button, console form) can store, log
or send a secret it was given, and a new door is covered without code of its own.

A follow-up of a ``detached`` type (automatic containment) runs as its own chain
in the background once the command that returned it has committed, so the door
that took the first command (an alert) never waits on a connector; through
``accept`` it is one of the ``after_ack`` follow-ups and runs on the backlog.
``drain`` waits for detached chains (at shutdown, and in tests).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Protocol

from opentelemetry import trace

from bot.core.commands import Command
from bot.core.events import Event
from bot.core.log_context import bind_incident

TRACER = trace.get_tracer("blastwall.bus")

log = logging.getLogger(__name__)

Message = Event | Command
CommandHandler = Callable[[Any], Awaitable[Sequence[Message]]]
Screen = Callable[[Command], Command]
EventHandler = Callable[[Any], Awaitable[None]]
MAX_FOLLOW_UPS = 64  # a chain longer than this is a bug, not a workload


class CommandSink(Protocol):
    async def handle(self, command: Command) -> Sequence[Event]: ...

    async def accept(self, command: Command) -> Sequence[Event]: ...


class Deferral(Protocol):
    """Where the rest of an accepted chain runs (``bot.service.backlog.Backlog``)."""

    async def put(self, job: Callable[[], Awaitable[object]]) -> None: ...


class MessageBus:
    def __init__(
        self,
        command_handlers: Mapping[type[Command], CommandHandler],
        event_handlers: Mapping[type[Event], Sequence[EventHandler]],
        screen: Screen | None = None,
        detached: Collection[type[Command]] = (),
        after_ack: Callable[[Command], bool] | None = None,
    ) -> None:
        self._commands = dict(command_handlers)
        self._events = {k: list(v) for k, v in event_handlers.items()}
        self._screen = screen
        self._detached = frozenset(detached)
        self._running: set[asyncio.Task[None]] = set()
        self._after_ack = after_ack
        self._deferral: Deferral | None = None

    def defer_to(self, deferral: Deferral) -> None:
        """Run what ``accept`` leaves for after the answer on ``deferral``."""
        self._deferral = deferral

    def screen_with(self, screen: Screen) -> None:
        """Pass every command through ``screen`` first (``Redactor.redact_command``)."""
        self._screen = screen

    async def handle(self, command: Command) -> Sequence[Event]:
        """Run the command, then, in order, each event's handlers and each follow-up
        command a handler returned; answer every event of the whole chain.

        An event handler's failure (a chat API down) is logged and does not undo
        the committed state change; the evidence is already recorded.
        """
        return await self._chain(deque([command]))

    async def accept(self, command: Command) -> Sequence[Event]:
        """The doors' entry: run the command as far as its durable start, answer, and
        leave the rest of the chain to the deferral.

        THIS IS WHERE A CLICK IS ACKNOWLEDGED. Every command is run here except the
        follow-ups named ``after_ack`` (those that call the outside world: the
        connector call and its checkpoint); no event is published here (card
        updates, notices, opening a room). So when this returns, the request row
        with its idempotency key and its evidence entry (or the declaration with
        its room notice) have committed, and nothing slow has run. The events
        returned are those of the commands run here (a refusal, a duplicate, a
        request for approval), for the door's own answer.

        What runs later is safe to lose in a crash: a deferred connector call
        leaves a running intent that the reconciler settles (and whose settlement
        redraws the card); the room is opened from the outbox (``DeliverNotices``);
        escalation notices are outboxed; checkpoints are signed by the anchoring
        pass. Only courtesies can be lost: a card redraw or a note about a change
        that had committed (the card catches up at the incident's next change).
        """
        queue: deque[Message] = deque([command])
        raised: list[Event] = []
        later: deque[Message] = deque()
        for _ in range(MAX_FOLLOW_UPS * 4):
            if not queue:
                break
            message = queue.popleft()
            if isinstance(message, Event):
                raised.append(message)
                later.append(message)
            elif self._after_ack is not None and self._after_ack(message):
                later.append(message)
            else:
                queue.extend(await self._run(message))
        else:
            raise RuntimeError(f"more than {MAX_FOLLOW_UPS} follow-up commands")
        if later:
            await self._defer(later)
        return raised

    async def _defer(self, later: deque[Message]) -> None:
        async def rest() -> None:
            await self._chain(later)

        if self._deferral is None:
            await rest()
        else:
            await self._deferral.put(rest)

    async def _chain(self, queue: deque[Message]) -> list[Event]:
        raised: list[Event] = []
        commands = 0
        while queue:
            message = queue.popleft()
            if isinstance(message, Event):
                raised.append(message)
                await self._publish(message)
                continue
            commands += 1
            if commands > 1 and type(message) in self._detached:
                self._detach(message)
                continue
            if commands > MAX_FOLLOW_UPS:
                raise RuntimeError(f"more than {MAX_FOLLOW_UPS} follow-up commands")
            queue.extend(await self._run(message))
        return raised

    async def drain(self) -> None:
        """Wait until every detached chain has ended (including any they started)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def _detach(self, command: Command) -> None:
        task = asyncio.create_task(self._in_background(command), name=type(command).__name__)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _in_background(self, command: Command) -> None:
        try:
            await self.handle(command)
        except Exception:
            log.exception("detached %s failed", type(command).__name__)

    async def _run(self, command: Command) -> Sequence[Message]:
        handler = self._commands.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        if self._screen is not None:
            command = self._screen(command)
        with TRACER.start_as_current_span(f"handle {type(command).__name__}"):
            return await handler(command)

    async def _publish(self, event: Event) -> None:
        bind_incident(event)  # its handlers' log lines name its incident
        for react in self._events.get(type(event), ()):
            try:
                await react(event)
            except Exception:
                name = getattr(getattr(react, "func", react), "__name__", repr(react))
                log.exception("event handler %s failed for %s", name, event)
