"""The message bus: commands in (one handler each), events out (any number of handlers).

Adapters only ever call ``handle``; they never reach a handler directly, so
Slack, Teams, the console and alert intake share one behaviour.

The bus is also the one place outside text enters: every command passes the
``screen`` (the secret redactor, wired in ``bot.app``) before its handler runs,
so no door (alert, slash command, modal, button, console form) can store, log
or send a secret it was given, and a new door is covered without code of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from bot.core.commands import Command
from bot.core.events import Event

log = logging.getLogger(__name__)

CommandHandler = Callable[[Any], Awaitable[Sequence[Event]]]
Screen = Callable[[Command], Command]
EventHandler = Callable[[Any], Awaitable[None]]


class CommandSink(Protocol):
    async def handle(self, command: Command) -> Sequence[Event]: ...


class MessageBus:
    def __init__(
        self,
        command_handlers: Mapping[type[Command], CommandHandler],
        event_handlers: Mapping[type[Event], Sequence[EventHandler]],
        screen: Screen | None = None,
    ) -> None:
        self._commands = dict(command_handlers)
        self._events = {k: list(v) for k, v in event_handlers.items()}
        self._screen = screen

    def screen_with(self, screen: Screen) -> None:
        """Pass every command through ``screen`` first (``Redactor.redact_command``)."""
        self._screen = screen

    async def handle(self, command: Command) -> Sequence[Event]:
        """Run the command's handler, then every handler of each event it raised.

        An event handler's failure (a chat API down) is logged and does not undo
        the committed state change; the evidence is already recorded.
        """
        handler = self._commands.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        if self._screen is not None:
            command = self._screen(command)
        events = list(await handler(command))
        for event in events:
            for react in self._events.get(type(event), ()):
                try:
                    await react(event)
                except Exception:
                    name = getattr(getattr(react, "func", react), "__name__", repr(react))
                    log.exception("event handler %s failed for %s", name, event)
        return events
