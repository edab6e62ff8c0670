"""Identity activity through the bus, on the in-memory fakes: queued by the declaration
and the close, read only by ``CollectActivity``, recorded once, redacted, and a vendor
failure recorded without touching the incident."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from bot.core.activity import ActivityEvent
from bot.core.actors import Actor
from bot.core.commands import ChangeStatus, CollectActivity, DeclareIncident
from bot.core.events import IncidentDeclared
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity, Status
from bot.secrets import build_redactor
from bot.service.context import ActivitySettings, Services
from bot.service.handlers import build_bus
from connectors.aws_iam.specs import SPECS
from tests.fakes.activity_source import FakeActivitySource
from tests.fakes.chat import RecordingNotifier
from tests.fakes.clock import FakeClock
from tests.fakes.connector import FakeConnector
from tests.fakes.memory_store import MemoryDatabase
from tests.service.conftest import PLAYBOOK, FakeSigner

KEY = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAACTIVITY00000001")
IC = Actor("slack", "UIC")
LEAKED = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.database = MemoryDatabase()  # no redaction here: the service must redact
        self.source = FakeActivitySource()
        self.services = Services(
            uow=self.database.uow,
            clock=self.clock,
            playbooks={PLAYBOOK.name: PLAYBOOK},
            catalogue={s.id: s for s in SPECS},
            connectors={"aws_iam": FakeConnector("aws_iam", SPECS), "trail": self.source},  # type: ignore[dict-item]
            notifiers={"slack": RecordingNotifier()},
            default_platform="slack",
            signer=FakeSigner(),
            activity=ActivitySettings(lookback_s=3600, max_events=10, claim_s=60),
            redact=build_redactor(b"k" * 32).redact_body,
        )
        self.bus = build_bus(self.services)

    def event(self, minutes_ago: float, name: str, **record: Any) -> ActivityEvent:
        at = self.clock.now() - timedelta(minutes=minutes_ago)
        event = ActivityEvent(f"ev-{name}", name, at, "ci-bot", dict(record))
        self.source.events.setdefault(KEY.key, []).append(event)
        return event

    def entries(self, incident_id: str, what: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(x) for x in self.database.committed.lines[incident_id]]
        return [e for e in lines if what is None or e["what"] == what]


@pytest.fixture
def world() -> World:
    return World()


async def _declare(world: World) -> str:
    declared = await world.bus.handle(
        DeclareIncident(
            title="Key on GitHub",
            source="scanner",
            declared_by=Actor("alert", "scanner"),
            identities=(KEY,),
            severity=Severity.SEV2,
        )
    )
    event = next(e for e in declared if isinstance(e, IncidentDeclared))
    return event.incident_id


async def test_declaration_queues_and_the_collection_records_each_event(world: World) -> None:
    for minutes, name in ((50, "ListBuckets"), (30, "GetObject"), (10, "CreateUser")):
        world.event(minutes, name)
    world.event(120, "BeforeTheLookback")
    declared_at = world.clock.now()
    incident_id = await _declare(world)
    assert world.source.asked == []  # nothing is read on the declaration's path
    world.clock.advance(seconds=2)
    await world.bus.handle(CollectActivity("replica-a"))
    events = world.entries(incident_id, "identity activity")
    assert [e["details"]["event"]["name"] for e in events] == [
        "ListBuckets",
        "GetObject",
        "CreateUser",
    ]
    first = events[0]["details"]
    assert first["source"] == "fake" and first["query"] == {"identity": KEY.external_id}
    assert set(first["event"]) >= {"id", "name", "at", "actor"}
    (summary,) = world.entries(incident_id, "identity activity collected")
    assert summary["outcome"] == "collected"
    assert summary["details"] | {"window": None} == {
        "source": "fake",
        "query": {"identity": KEY.external_id},
        "phase": "declared",
        "identity": KEY.key,
        "window": None,
        "max_events": 10,
        "count": 3,
        "truncated": False,
        "error": None,
    }
    ((_, window),) = world.source.asked
    assert (window.since, window.until) == (declared_at - timedelta(hours=1), declared_at)


async def test_the_close_collects_since_the_last_window_once(world: World) -> None:
    incident_id = await _declare(world)
    declared_at = world.clock.now()
    await world.bus.handle(CollectActivity("replica-a"))
    world.clock.advance(minutes=20)
    world.event(5, "DeleteBucket")
    await world.bus.handle(ChangeStatus(IC, Status.RESOLVED, incident_id, reason="rotated"))
    resolved_at = world.clock.now()
    world.clock.advance(seconds=1)
    await world.bus.handle(ChangeStatus(IC, Status.CLOSED, incident_id, reason="done"))
    await world.bus.handle(CollectActivity("replica-a"))
    await world.bus.handle(CollectActivity("replica-b"))
    summaries = world.entries(incident_id, "identity activity collected")
    assert [s["details"]["phase"] for s in summaries] == ["declared", "closed"]
    assert summaries[1]["details"]["count"] == 1
    windows = [(w.since, w.until) for _, w in world.source.asked]
    assert windows[1] == (declared_at, resolved_at)  # from where the declared window ended
    events = world.entries(incident_id, "identity activity")
    assert [e["details"]["event"]["name"] for e in events] == ["DeleteBucket"]


async def test_a_vendor_failure_is_recorded_and_the_incident_stands(world: World) -> None:
    world.source.fail_with = "AccessDenied: cloudtrail:LookupEvents"
    incident_id = await _declare(world)
    await world.bus.handle(CollectActivity("replica-a"))
    (summary,) = world.entries(incident_id, "identity activity collected")
    assert summary["outcome"] == "failed"
    assert summary["details"]["error"] == "AccessDenied: cloudtrail:LookupEvents"
    assert summary["details"]["count"] == 0 and summary["details"]["query"]
    assert world.entries(incident_id, "incident declared")
    assert not world.entries(incident_id, "identity activity")


async def test_a_secret_in_an_event_is_redacted_before_it_is_stored(world: World) -> None:
    world.event(5, "CreateAccessKey", responseElements={"secretAccessKey": LEAKED})
    incident_id = await _declare(world)
    await world.bus.handle(CollectActivity("replica-a"))
    stored = b"".join(world.database.committed.lines[incident_id]).decode()
    assert LEAKED not in stored and "[REDACTED:" in stored
    assert world.entries(incident_id, "identity activity")


async def test_retries_and_replicas_record_one_collection_once(world: World) -> None:
    world.event(5, "GetObject")
    incident_id = await _declare(world)
    release = asyncio.Event()
    world.source.hold_next = release
    # replica A claims and stalls in the vendor call past its claim
    stalled = asyncio.create_task(world.bus.handle(CollectActivity("replica-a")))
    await asyncio.wait_for(world.source.holding.wait(), 5)
    world.clock.advance(seconds=61)
    await world.bus.handle(CollectActivity("replica-b"))  # takes the lapsed claim over
    release.set()
    await asyncio.wait_for(stalled, 5)  # A's late answer: not recorded
    await world.bus.handle(CollectActivity("replica-a"))  # nothing left to claim
    await world.bus.handle(
        DeclareIncident(title="again", source="scanner", declared_by=IC, identities=(KEY,))
    )  # a retried alert joins the incident and queues nothing new
    await world.bus.handle(CollectActivity("replica-c"))
    assert len(world.source.asked) == 2
    assert len(world.entries(incident_id, "identity activity collected")) == 1
    assert len(world.entries(incident_id, "identity activity")) == 1
