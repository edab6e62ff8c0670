"""A rotated identity, as the core card model holds it and each chat surface shows it;
and where a delivery path template may lead."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.adapters.slack.blocks import card_blocks
from bot.adapters.teams.cards import incident_card
from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.cards import Card, CardOutcome, build_card
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Incident, Severity
from bot.core.playbooks import OfferedAction, Playbook, Trigger
from bot.core.secret_paths import render, template_problem
from connectors.registry import catalogue

ROTATED = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE00001")
OTHER = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE00002")
PLAYBOOK = Playbook(
    name="rotation",
    title="Rotation",
    trigger=Trigger(),
    default_severity=Severity.SEV2,
    commander=("slack:UIC",),
    rights={},
    actions=(OfferedAction("aws.iam.rotate_access_key", "Rotate key"),),
)


def _card() -> Card:
    incident = Incident(
        id="INC-20261122-0001",
        title="Leaked keys",
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook=PLAYBOOK.name,
        declared_at=datetime(2026, 11, 22, tzinfo=UTC),
        declared_by=Actor("alert", "scanner"),
        identities=[ROTATED, OTHER],
    )
    outcomes = (
        CardOutcome("aws.iam.rotate_access_key", ROTATED.key, RequestStatus.SUCCEEDED, "ok", "x"),
        CardOutcome("aws.iam.rotate_access_key", OTHER.key, RequestStatus.FAILED, "no", "x"),
    )
    return build_card(incident, PLAYBOOK, catalogue(), outcomes)


def test_the_card_shows_only_the_rotated_identity_as_rotated() -> None:
    card = _card()
    assert card.states == ((ROTATED.key, "rotated"),)
    slack = json.dumps(card_blocks(card))
    assert f"`{ROTATED.key}` (rotated)" in slack and f"`{OTHER.key}` (rotated)" not in slack
    teams = json.dumps(incident_card(card, {}))
    assert f"Identity: {ROTATED.key} (rotated)" in teams
    assert f"Identity: {OTHER.key} (rotated)" not in teams


def test_a_path_stays_inside_the_playbook_prefix() -> None:
    values = {"owner": "../../sys/x", "key": "AKIA/..", "principal": "", "system": "aws"}
    assert render("secret/nhi/{owner}/{key}/{principal}", values) == (
        "secret/nhi/sys-x/AKIA/unknown"
    )
    assert template_problem("secret/nhi/{owner}/{key}") is None
    assert template_problem("/secret/{key}") is not None
    assert template_problem("secret/{key") is not None
