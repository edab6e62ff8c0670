"""The Slack card renders for every value of every status it shows, within Slack's
block limits: a status it cannot render would freeze the card for the whole incident."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.slack.blocks import card_blocks, card_text, mark, prompt_blocks
from bot.core.actions import ActionRequest, RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import BULK_TARGET, Approval, Decision
from bot.core.cards import (
    CardOutcome,
    Prompt,
    PromptButton,
    PromptKind,
    build_card,
    decision_text,
    pending_line,
)
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Handoff, Incident, Severity, Status
from bot.core.playbooks import OfferedAction, Playbook, Trigger
from connectors.registry import catalogue

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CATALOGUE = dict(catalogue())
PLAYBOOK = Playbook(
    name="everything",
    title="Every action offered",
    trigger=Trigger(sources=frozenset({"scanner"})),
    default_severity=Severity.SEV2,
    commander=("slack:UIC",),
    rights={},
    actions=tuple(OfferedAction(a, f"{a} with a long label " * 3) for a in CATALOGUE),
)
LIMITS = {"blocks": 50, "header": 150, "section": 3000, "field": 2000, "elements": 25}


def _incident(status: Status, severity: Severity, environment: Environment) -> Incident:
    incident = Incident(
        id="INC-20261122-0001",
        title="Leaked key <!here> " + "x" * 400,
        severity=severity,
        environment=environment,
        playbook=PLAYBOOK.name,
        declared_at=T0,
        declared_by=Actor("alert", "scanner"),
        status=status,
        identities=[
            AffectedIdentity(system, kind, f"id-{n:03d}-{'y' * 60}")
            for n, (system, kind) in enumerate(
                itertools.islice(
                    itertools.cycle(
                        itertools.product(
                            ("aws", "github", "vault", "entra", "gcp", "okta", "k8s", "slack"),
                            IdentityKind,
                        )
                    ),
                    240,
                )
            )
        ],
    )
    incident.assign_commander(Actor("slack", "UIC"), T0)
    incident.pending_handoff = Handoff(Actor("slack", "UNEXT"), Actor("slack", "UIC"), T0)
    return incident


def _request(status: RequestStatus, target: str = "aws:access_key:AKIA1") -> ActionRequest:
    return ActionRequest(
        incident_id="INC-20261122-0001",
        action_id="aws.iam.deactivate_access_key",
        target_key=target,
        params={},
        actor=Actor("slack", "UIAM"),
        idempotency_key=f"{status.value}-{target}".ljust(64, "0"),
        requested_at=T0,
        status=status,
        plan_hash="f" * 64,
        approvals_needed=3,
        snapshot={"targets": [f"aws:access_key:AKIA{n}" for n in range(200)]},
    )


def _pending() -> tuple[str, ...]:
    """A pending line carrying each decision, for a single target and for a bulk set."""
    lines = []
    for target in ("aws:access_key:AKIA1", BULK_TARGET):
        request = _request(RequestStatus.AWAITING_APPROVAL, target)
        approvals = [
            Approval(request.idempotency_key, Actor("slack", f"U{d.value}"), d, "f" * 64, "", T0)
            for d in Decision
        ]
        lines.append(pending_line(request, approvals, {"slack:UM1", "slack:UM2"}, 200))
    return tuple(lines) * 6


def _outcomes() -> tuple[CardOutcome, ...]:
    return tuple(
        CardOutcome(
            "aws.iam.deactivate_access_key",
            target,
            status,
            "summary <!channel> " * 300,
            "slack:UIAM",
            f"{status.value}-{target}",
            undoable=status is RequestStatus.SUCCEEDED,
        )
        for status in RequestStatus
        for target in ("aws:access_key:AKIA1", BULK_TARGET)
    )


def _within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= LIMITS["blocks"]
    assert len({b["block_id"] for b in blocks if "block_id" in b}) == sum(
        1 for b in blocks if "block_id" in b
    )
    action_ids = [e["action_id"] for b in blocks for e in b.get("elements", ()) if "action_id" in e]
    assert len(action_ids) == len(set(action_ids))
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= LIMITS["header"]
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= LIMITS["section"]
            assert len(block.get("fields", ())) <= 10
            assert all(len(f["text"]) <= LIMITS["field"] for f in block.get("fields", ()))
        if block["type"] == "actions":
            assert 0 < len(block["elements"]) <= LIMITS["elements"]
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])


@pytest.mark.parametrize(
    ("status", "severity", "environment"),
    list(itertools.product(Status, Severity, Environment)),
)
def test_the_card_renders_every_status_within_slacks_limits(
    status: Status, severity: Severity, environment: Environment
) -> None:
    incident = _incident(status, severity, environment)
    for acknowledged in (False, True):
        incident.commander_acknowledged = acknowledged
        card = build_card(incident, PLAYBOOK, CATALOGUE, _outcomes()[-10:], _pending())
        blocks = card_blocks(card)
        _within_limits(blocks)
        rendered = json.dumps(blocks, ensure_ascii=False)
        assert status.value in rendered and severity.value in rendered
        assert environment.value in rendered and len(card_text(card)) <= 40_000


def test_every_request_status_and_decision_is_shown() -> None:
    incident = _incident(Status.CONTAINED, Severity.SEV1, Environment.PRODUCTION)
    card = build_card(incident, PLAYBOOK, CATALOGUE, _outcomes(), _pending())
    shown = json.dumps(card_blocks(card), ensure_ascii=False)
    assert len({mark(s) for s in RequestStatus}) == len(RequestStatus)
    for status in RequestStatus:
        assert mark(status) in shown
    for decision in Decision:
        assert f"{decision_text(decision)} by slack:U{decision.value}" in shown
    assert "all 200 identities" in shown


def test_every_prompt_kind_renders() -> None:
    kinds = tuple(PromptKind)
    prompt = Prompt(
        "p " * 2000,
        tuple(PromptButton(k * 30, k, "INC-1", "r" * 64, "h" * 64) for k in kinds),
    )
    _within_limits(prompt_blocks(prompt))
