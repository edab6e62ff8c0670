"""Framework references on the evidence, and the post-incident review, through the bus.

Declare -> acknowledge -> request under approval -> approve -> contain -> an undo
refused as unsafe -> a stall escalates -> resolve (review, checklist in the room)
-> close (a second review, superseding the first).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core.actors import SYSTEM, Actor
from bot.core.approvals import Decision
from bot.core.commands import (
    AcknowledgeCommand,
    ChangeStatus,
    DecideApproval,
    DeclareIncident,
    FireDueTimers,
    RequestAction,
    UndoAction,
)
from bot.core.escalation import StallKind, Step
from bot.core.events import ApprovalRequested, IncidentDeclared, ReviewWritten
from bot.core.evidence import EvidenceRecord, What
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity, Status
from bot.core.playbooks import ApprovalPolicy, FrameworkRefs, OfferedAction, Playbook, Trigger
from bot.core.roles import Right
from bot.evidence.entry_fields import parse_entries
from bot.evidence.review import build_review
from bot.evidence.review_render import digests, render_markdown, review_files
from bot.service.context import Services
from bot.service.handlers import build_bus
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY, SPECS
from tests.fakes.chat import RecordingNotifier
from tests.fakes.clock import FakeClock
from tests.fakes.connector import FakeConnector
from tests.fakes.memory_store import MemoryDatabase
from tests.service.conftest import FakeSigner, World

IC, IAM, M1 = Actor("slack", "UIC"), Actor("slack", "UIAM"), Actor("slack", "UM1")
KEY = AffectedIdentity(
    "aws",
    IdentityKind.ACCESS_KEY,
    "AKIAREVIEW0000001",
    owner="payments",
    workload="ci-deployer",
    issuing_system="aws-iam",
    vendor_managed=True,
    shared_with_humans=True,
)
ACTION_REFS = FrameworkRefs(("RS.MI-01",), ("ASI03",), "L4", ("MANAGE-2.3",))
PLAYBOOK_REFS = FrameworkRefs(nist_csf=("DE.AE-02", "RS.MA-01"))
REVIEWED = Playbook(
    name="reviewed",
    title="Leaked key, reviewed",
    trigger=Trigger(sources=frozenset({"scanner"}), min_severity=Severity.SEV3),
    default_severity=Severity.SEV2,
    commander=("slack:UIC",),
    rights={
        Right.NHI_CREDENTIAL_LIFECYCLE: frozenset({"slack:UIAM"}),
        Right.APPROVE: frozenset({"slack:UM1"}),
    },
    actions=(
        OfferedAction(
            DEACTIVATE_ACCESS_KEY.id,
            "Deactivate key",
            frameworks=ACTION_REFS,
            approval=ApprovalPolicy(approvers=1, ttl_minutes=60),
        ),
    ),
    frameworks=PLAYBOOK_REFS,
    escalation={StallKind.NO_STATUS_UPDATE: (Step(30, notify=("slack:UM1",)),)},
)


@pytest.fixture
def reviewed() -> World:
    database, chat, clock = MemoryDatabase(), RecordingNotifier(), FakeClock()
    aws = FakeConnector("aws_iam", SPECS)
    services = Services(
        uow=database.uow,
        clock=clock,
        playbooks={REVIEWED.name: REVIEWED},
        catalogue={s.id: s for s in SPECS},
        connectors={"aws_iam": aws},
        notifiers={"slack": chat},
        default_platform="slack",
        signer=FakeSigner(),
    )
    return World(build_bus(services), database, chat, aws, clock)


def _entries(world: World, incident_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in world.database.committed.lines[incident_id]]


async def _append(world: World, record: EvidenceRecord) -> None:
    async with world.database.uow() as uow:
        await uow.incidents.append_evidence(record)
        await uow.commit()


async def _run_incident(world: World) -> str:
    (declared,) = await world.bus.handle(
        DeclareIncident(
            "Key in a public repo", "scanner", Actor("alert", "scan"), (KEY,), Severity.SEV2
        )
    )
    assert isinstance(declared, IncidentDeclared)
    incident = declared.incident_id
    world.clock.advance(minutes=2, seconds=5)
    await world.bus.handle(AcknowledgeCommand(IC, incident))
    world.clock.advance(minutes=1)
    (asked,) = await world.bus.handle(
        RequestAction(incident, DEACTIVATE_ACCESS_KEY.id, KEY.key, IAM, justification="leaked")
    )
    assert isinstance(asked, ApprovalRequested)
    plan = world.database.committed.requests[asked.request_key].plan_hash or ""
    world.clock.advance(minutes=1)
    await world.bus.handle(
        DecideApproval(asked.request_key, M1, Decision.APPROVE, plan, "confirmed")
    )
    await world.bus.handle(UndoAction(asked.request_key, IAM, justification="too early"))
    await _append(world, _said(incident, world, "=rotate it first <!channel>"))
    await _append(world, _activity(incident, world))
    world.clock.advance(minutes=40)
    await world.bus.handle(FireDueTimers("test"))
    return incident


def _said(incident: str, world: World, text: str) -> EvidenceRecord:
    return EvidenceRecord(
        incident, What.CHANNEL_MESSAGE, IC, world.clock.now(), details={"ts": "1.1", "text": text}
    )


def _activity(incident: str, world: World) -> EvidenceRecord:
    event = {"id": "ev-1", "name": "ListBuckets", "at": "2026-11-22T08:59:00Z", "actor": "1.2.3.4"}
    return EvidenceRecord(
        incident,
        What.IDENTITY_ACTIVITY,
        SYSTEM,
        world.clock.now(),
        details={"source": "cloudtrail", "query": KEY.key, "event": event},
    )


async def test_action_approval_and_status_entries_carry_their_framework_refs(
    reviewed: World,
) -> None:
    incident = await _run_incident(reviewed)
    entries = _entries(reviewed, incident)
    action_refs = ACTION_REFS.as_record()
    carrying = {
        What.APPROVAL_REQUESTED,
        What.APPROVAL_GRANTED,
        What.ACTION_REQUESTED,
        What.ACTION_PLANNED,
        What.ACTION_SUCCEEDED,
        What.ACTION_VERIFIED,
        What.UNDO_REQUESTED,
        What.UNDO_REFUSED,
    }
    assert carrying <= {e["what"] for e in entries}
    for entry in entries:
        if entry["what"] in carrying:
            assert entry["details"]["frameworks"] == action_refs, entry["what"]
    contained = next(e for e in entries if e["what"] == What.STATUS_CHANGED)
    assert contained["details"]["frameworks"] == PLAYBOOK_REFS.as_record()
    assert action_refs == {
        "nist_csf": ["RS.MI-01"],
        "owasp_agentic": ["ASI03"],
        "maestro_layer": ["L4"],
        "nist_ai_rmf": ["MANAGE-2.3"],
    }


async def test_resolving_writes_the_review_and_posts_its_checklist(reviewed: World) -> None:
    incident = await _run_incident(reviewed)
    events = await reviewed.bus.handle(ChangeStatus(IC, Status.RESOLVED, incident, reason="done"))
    written = next(e for e in events if isinstance(e, ReviewWritten))
    entries = _entries(reviewed, incident)
    review_entry = entries[-1]
    assert review_entry["what"] == What.REVIEW_WRITTEN and review_entry["seq"] == written.seq
    covers = review_entry["details"]["covers"]["last"]
    assert entries[covers - 1]["after"] == {"status": "resolved"}
    lines = reviewed.database.committed.lines[incident]
    review = build_review(incident, parse_entries(lines)[:covers])
    assert review_entry["details"]["files"] == digests(review_files(review))
    assert review_entry["details"]["tta_seconds"] == 125 and review.timeline.ttc_seconds == 245

    posted = next(text for who, text in reviewed.chat.said if "Post-incident review" in text)
    assert f"ledger entry {written.seq}" in posted
    assert f"{KEY.key} is contained but not rotated" in posted
    assert "refused as unsafe: unsafe: rotate instead" in posted
    assert posted.count("\N{BALLOT BOX}") == len(review.follow_ups) == 2

    markdown = render_markdown(review)
    assert "Time to acknowledge: 2m 05s" in markdown and "Time to contain: 4m 05s" in markdown
    assert "Owner: payments; workload: ci-deployer; issuing system: aws-iam" in markdown
    assert "Vendor-managed: yes; shared with humans: yes" in markdown
    assert "| slack:UIAM | nhi.credential-lifecycle | slack:UM1 |" in markdown
    assert "there had been no status update; step 1 (notify) notified slack:UM1" in markdown
    assert "NIST CSF 2.0: DE.AE-02 (" in markdown and "RS.MI-01 (" in markdown
    assert "OWASP Agentic (ASI): ASI03" in markdown and "CSA MAESTRO: L4" in markdown
    assert "ListBuckets at 2026-11-22T08:59:00Z by 1.2.3.4 (cloudtrail ev-1)" in markdown
    assert "Messages: 1;" in markdown and "participants (1): slack:UIC" in markdown
    assert "&lt;!channel&gt;" not in markdown  # the transcript is summed up, not quoted


async def test_closing_writes_a_review_that_supersedes_the_one_at_resolve(
    reviewed: World,
) -> None:
    incident = await _run_incident(reviewed)
    await reviewed.bus.handle(ChangeStatus(IC, Status.RESOLVED, incident))
    first = _entries(reviewed, incident)[-1]["seq"]
    events = await reviewed.bus.handle(ChangeStatus(IC, Status.CLOSED, incident))
    second = next(e for e in events if isinstance(e, ReviewWritten))
    entries = _entries(reviewed, incident)
    assert entries[-1]["details"]["supersedes"] == first and second.status == "closed"
    assert entries[-1]["details"]["covers"]["last"] == second.seq - 1
    state = reviewed.database.committed
    assert state.checkpoints[incident][-1][0] == len(state.lines[incident])  # the seal covers it
    said = [text for _, text in reviewed.chat.said if "Post-incident review" in text]
    assert len(said) == 2 and "now that it is closed" in said[1]


async def test_a_false_positive_resolved_at_once_lists_what_was_never_contained(
    reviewed: World,
) -> None:
    (declared,) = await reviewed.bus.handle(
        DeclareIncident("Noise", "scanner", Actor("alert", "scan"), (KEY,), Severity.SEV3)
    )
    assert isinstance(declared, IncidentDeclared)
    await reviewed.bus.handle(ChangeStatus(IC, Status.RESOLVED, declared.incident_id))
    entry = _entries(reviewed, declared.incident_id)[-1]
    assert entry["details"]["follow_ups"] == [
        f"{KEY.key} was never contained: confirm it needs nothing (entry 1)"
    ]
    assert entry["details"]["tta_seconds"] is None and entry["details"]["ttc_seconds"] is None
