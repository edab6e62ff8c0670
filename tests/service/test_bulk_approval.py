"""A bulk click on an action that needs approval, through the bus: one request for the
whole set bound to one hash, one prompt, and once approved every target runs; a
denial shows on the card, which keeps updating afterwards."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from bot.adapters.slack.blocks import card_blocks
from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import BULK_TARGET, Decision, bulk_plan_hash
from bot.core.commands import DecideApproval, DeclareIncident, RequestAction
from bot.core.events import ApprovalRequested, BulkSettled, IncidentDeclared, RequestDenied
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.service.conftest import World

KEYS = [AffectedIdentity("aws", IdentityKind.ACCESS_KEY, f"AKIABULK{n:08d}") for n in range(30)]
IAM, M1, M2 = Actor("slack", "UIAM"), Actor("slack", "UM1"), Actor("slack", "UM2")
ACTIONS = Path(__file__).resolve().parents[2] / "bot" / "service" / "actions"


async def _asked(world: World) -> tuple[str, ApprovalRequested]:
    (declared,) = await world.bus.handle(
        DeclareIncident(
            title="Thirty keys leaked",
            source="inventory",
            declared_by=Actor("alert", "inv"),
            identities=tuple(KEYS),
            severity=Severity.SEV2,
        )
    )
    assert isinstance(declared, IncidentDeclared)
    events = await world.bus.handle(
        RequestAction(declared.incident_id, DEACTIVATE_ACCESS_KEY.id, BULK_TARGET, IAM)
    )
    assert [type(e) for e in events] == [ApprovalRequested]
    assert isinstance(events[0], ApprovalRequested)
    return declared.incident_id, events[0]


async def test_one_request_one_prompt_then_every_target_runs(world: World) -> None:
    incident_id, asked = await _asked(world)
    (request,) = world.database.committed.requests.values()
    assert request.target_key == BULK_TARGET and request.approvals_needed == 2
    assert request.plan_hash == bulk_plan_hash(
        DEACTIVATE_ACCESS_KEY.id, [k.key for k in reversed(KEYS)], {}
    )
    assert len(world.chat.asked) == 1 and "all 30 identities" in world.chat.asked[0][1].text
    assert "would apply to 30 identities" in asked.preview
    assert world.aws.applied == []

    plan = request.plan_hash or ""
    await world.bus.handle(DecideApproval(asked.request_key, M1, Decision.APPROVE, plan, "ok"))
    assert world.aws.applied == []
    events = await world.bus.handle(
        DecideApproval(asked.request_key, M2, Decision.APPROVE, plan, "ok")
    )
    summary = events[-1]
    assert isinstance(summary, BulkSettled) and (summary.total, summary.succeeded) == (30, 30)
    assert sorted(t for _, t in world.aws.applied) == sorted(k.key for k in KEYS)
    assert len(world.chat.asked) == 1
    committed = world.database.committed
    assert committed.requests[asked.request_key].status is RequestStatus.SUCCEEDED
    entries = [json.loads(x) for x in committed.lines[incident_id]]
    ran = [e for e in entries if e["what"] == "action succeeded"]
    assert len(ran) == 30 and all(len(e["details"]["approvals"]) == 2 for e in ran)
    assert sum(e["what"] == "approval requested" for e in entries) == 1
    assert entries[-1]["what"] == "bulk action settled"


async def test_a_denied_bulk_runs_nothing_and_the_card_keeps_updating(world: World) -> None:
    incident_id, asked = await _asked(world)
    plan = world.database.committed.requests[asked.request_key].plan_hash or ""
    events = await world.bus.handle(
        DecideApproval(asked.request_key, M1, Decision.DENY, plan, "not all of them")
    )
    assert isinstance(events[-1], RequestDenied) and world.aws.applied == []
    denied_card = world.chat.cards[-1]
    assert [o.status for o in denied_card.outcomes] == [RequestStatus.DENIED]
    assert "🚫" in json.dumps(card_blocks(denied_card), ensure_ascii=False)

    cards = len(world.chat.cards)
    await world.bus.handle(RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEYS[0].key, IAM))
    assert len(world.chat.cards) > cards
    statuses = {o.status for o in world.chat.cards[-1].outcomes}
    assert statuses == {RequestStatus.DENIED, RequestStatus.AWAITING_APPROVAL}
    card_blocks(world.chat.cards[-1])


def test_no_handler_module_imports_another_in_a_cycle() -> None:
    """bulk uses request's single-target path; request never reaches back."""
    imported = {
        name: {
            node.module
            for node in ast.walk(ast.parse((ACTIONS / f"{name}.py").read_text()))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        for name in ("bulk", "request", "approvals")
    }
    actions = "bot.service.actions"
    assert f"{actions}.request" in imported["bulk"]
    assert f"{actions}.bulk" not in imported["request"]
    assert not {f"{actions}.{m}" for m in ("execute", "request", "bulk")} & imported["approvals"]
