"""The bus runs the follow-up commands a handler returns, in order, and answers every
event of the chain; a handler never has to call another one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.commands import Command, DeclareIncident, RequestAction, RunApproved, RunBulk
from bot.core.events import ApprovalRequested, Event, Refused
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from bot.service.bus import MAX_FOLLOW_UPS, Message, MessageBus
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.service.conftest import World

KEY = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIASTRAY0000001")
OTHER = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIASTRAY0000002")
IAM = Actor("slack", "UIAM")


@dataclass(frozen=True)
class First(Command):
    pass


@dataclass(frozen=True)
class Second(Command):
    pass


@dataclass(frozen=True)
class Happened(Event):
    step: str


async def test_follow_ups_run_after_the_events_before_them() -> None:
    seen: list[str] = []

    async def first(cmd: First) -> Sequence[Message]:
        return [Happened("i", "first"), Second()]

    async def second(cmd: Second) -> Sequence[Message]:
        return [Happened("i", "second")]

    async def react(event: Happened) -> None:
        seen.append(event.step)

    bus = MessageBus({First: first, Second: second}, {Happened: [react]})
    events = await bus.handle(First())
    assert [e.step for e in events if isinstance(e, Happened)] == ["first", "second"]
    assert seen == ["first", "second"]


async def test_a_detached_follow_up_runs_after_the_answer_and_drain_waits_for_it() -> None:
    """Automatic containment's shape: the door is answered before the follow-up runs."""
    release = asyncio.Event()
    seen: list[str] = []

    async def first(cmd: First) -> Sequence[Message]:
        return [Happened("i", "first"), Second()]

    async def second(cmd: Second) -> Sequence[Message]:
        await release.wait()
        return [Happened("i", "second")]

    async def react(event: Happened) -> None:
        seen.append(event.step)

    bus = MessageBus({First: first, Second: second}, {Happened: [react]}, detached={Second})
    events = await bus.handle(First())
    assert [e.step for e in events if isinstance(e, Happened)] == ["first"]
    release.set()
    await asyncio.wait_for(bus.drain(), 5)
    assert seen == ["first", "second"]
    assert [e.step for e in await bus.handle(Second()) if isinstance(e, Happened)] == ["second"]


async def test_an_endless_chain_is_stopped() -> None:
    async def loop(cmd: First) -> Sequence[Message]:
        return [First()]

    with pytest.raises(RuntimeError, match=str(MAX_FOLLOW_UPS)):
        await MessageBus({First: loop}, {}).handle(First())


async def test_a_stray_run_approved_cannot_skip_four_eyes(world: World) -> None:
    assert await world.bus.handle(RunApproved("no-such-request")) == []
    (declared,) = await world.bus.handle(
        DeclareIncident(
            title="Shared key",
            source="inventory",
            declared_by=Actor("alert", "inv"),
            identities=(KEY,),
            severity=Severity.SEV2,
        )
    )
    (asked,) = await world.bus.handle(
        RequestAction(
            declared.incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, Actor("slack", "UIAM")
        )
    )
    assert isinstance(asked, ApprovalRequested)
    assert await world.bus.handle(RunApproved(asked.request_key, ("forged",))) == []
    world.database.committed.requests[asked.request_key].status = RequestStatus.RUNNING
    (refused,) = await world.bus.handle(RunApproved(asked.request_key, ("forged",)))
    assert isinstance(refused, Refused) and "not been approved" in refused.reason
    assert world.aws.applied == []


async def test_a_stray_run_bulk_cannot_borrow_an_approval(world: World) -> None:
    (declared,) = await world.bus.handle(
        DeclareIncident(
            title="Shared keys",
            source="inventory",
            declared_by=Actor("alert", "inv"),
            identities=(KEY, OTHER),
            severity=Severity.SEV2,
        )
    )
    (asked,) = await world.bus.handle(
        RequestAction(declared.incident_id, DEACTIVATE_ACCESS_KEY.id, "*", IAM)
    )
    assert isinstance(asked, ApprovalRequested)
    world.database.committed.requests[asked.request_key].status = RequestStatus.RUNNING
    stray = RunBulk(
        declared.incident_id,
        DEACTIVATE_ACCESS_KEY.id,
        IAM,
        (KEY.key,),
        approved_under=asked.request_key,
        approvals=("forged",),
    )
    (refused,) = await world.bus.handle(stray)
    assert isinstance(refused, Refused) and "not been approved" in refused.reason
    assert world.aws.applied == []
