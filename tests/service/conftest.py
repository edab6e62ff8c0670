from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.escalation import StallKind, Step, StepEnd
from bot.core.identities import IdentityKind
from bot.core.incidents import Environment, Severity
from bot.core.playbooks import ApprovalPolicy, OfferedAction, Playbook, Trigger
from bot.core.roles import Right
from bot.service.bus import MessageBus
from bot.service.context import Services
from bot.service.handlers import build_bus
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY, SPECS
from tests.fakes.chat import RecordingNotifier
from tests.fakes.clock import FakeClock
from tests.fakes.connector import FakeConnector
from tests.fakes.memory_store import MemoryDatabase


class FakeSigner:
    def sign(self, incident_id: str, size: int, root_hash: bytes) -> str:
        return f"{incident_id} {size} {root_hash.hex()}"

    def verify(self, note: str) -> tuple[int, bytes]:
        _, size, root = note.split(" ")
        return int(size), bytes.fromhex(root)


PLAYBOOK = Playbook(
    name="leaked-key",
    title="Leaked key",
    trigger=Trigger(
        sources=frozenset({"scanner"}),
        kinds=frozenset({IdentityKind.ACCESS_KEY}),
        min_severity=Severity.SEV3,
        manual=True,
    ),
    default_severity=Severity.SEV2,
    commander=("slack:UIC",),
    rights={
        Right.NHI_CREDENTIAL_LIFECYCLE: frozenset({"group:iam"}),
        Right.AUDIT: frozenset({"slack:UAUDIT"}),
    },
    groups={"iam": frozenset({"slack:UIAM"})},
    actions=(OfferedAction(DEACTIVATE_ACCESS_KEY.id, "Deactivate key"),),
    environment=Environment.PRODUCTION,
)


GATED = Playbook(
    name="gated",
    title="Shared account",
    trigger=Trigger(sources=frozenset({"inventory"}), min_severity=Severity.SEV3),
    default_severity=Severity.SEV2,
    commander=("slack:UIC",),
    rights={
        Right.NHI_CREDENTIAL_LIFECYCLE: frozenset({"slack:UIAM", "slack:UM1"}),
        Right.APPROVE: frozenset({"group:managers"}),
    },
    groups={
        "managers": frozenset({"slack:UM1", "slack:UM2"}),
        "directors": frozenset({"slack:UDIR"}),
    },
    actions=(
        OfferedAction(
            DEACTIVATE_ACCESS_KEY.id,
            "Deactivate key",
            approval=ApprovalPolicy(approvers=2, ttl_minutes=60),
        ),
    ),
    escalation={
        StallKind.APPROVAL_PENDING: (Step(10), Step(20, notify=("group:directors",))),
        StallKind.COMMANDER_NOT_ACKNOWLEDGED: (
            Step(5, end=StepEnd.REASK),
            Step(15, notify=("group:directors",), end=StepEnd.OFFER_COMMAND),
        ),
        StallKind.HANDOFF_NOT_ACCEPTED: (Step(10, notify=("group:managers",)),),
    },
)


@dataclass
class World:
    bus: MessageBus
    database: MemoryDatabase
    chat: RecordingNotifier
    aws: FakeConnector
    clock: FakeClock


@pytest.fixture
def world() -> World:
    database = MemoryDatabase()
    chat = RecordingNotifier()
    aws = FakeConnector("aws_iam", SPECS)
    clock = FakeClock()
    services = Services(
        uow=database.uow,
        clock=clock,
        playbooks={PLAYBOOK.name: PLAYBOOK, GATED.name: GATED},
        catalogue={s.id: s for s in SPECS},
        connectors={"aws_iam": aws},
        notifiers={"slack": chat},
        default_platform="slack",
        signer=FakeSigner(),
    )
    return World(build_bus(services), database, chat, aws, clock)
