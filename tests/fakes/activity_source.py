"""An ActivitySource fake: events per identity key, a failure on demand, and a log of
every window it was asked for."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.core.activity import ActivityEvent, ActivityReport, ActivityUnavailable, ActivityWindow
from bot.core.identities import AffectedIdentity


@dataclass
class FakeActivitySource:
    """Also a connector by shape (name, specs) so it can sit in ``Services.connectors``."""

    name: str = "fake_activity"
    system: str = "aws"
    events: dict[str, list[ActivityEvent]] = field(default_factory=dict)
    asked: list[tuple[str, ActivityWindow]] = field(default_factory=list)
    fail_with: str | None = None
    hold_next: asyncio.Event | None = None  # the next read waits for it (one read only)
    holding: asyncio.Event = field(default_factory=asyncio.Event)  # set while one is held

    def specs(self) -> tuple[()]:
        return ()

    def covers(self, identity: AffectedIdentity) -> bool:
        return identity.system == self.system

    async def activity(self, identity: AffectedIdentity, window: ActivityWindow) -> ActivityReport:
        self.asked.append((identity.key, window))
        hold, self.hold_next = self.hold_next, None
        if hold is not None:
            self.holding.set()
            await hold.wait()
        query: dict[str, object] = {"identity": identity.external_id}
        if self.fail_with:
            raise ActivityUnavailable("fake", query, self.fail_with)
        found = [e for e in self.events.get(identity.key, []) if window.holds(e.at)]
        kept = sorted(found, key=lambda e: e.at)[: window.max_events]
        return ActivityReport("fake", query, tuple(kept), len(found) > window.max_events)
