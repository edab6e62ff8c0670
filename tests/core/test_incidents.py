from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.actors import Actor
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import (
    Environment,
    IllegalTransition,
    Incident,
    Severity,
    Status,
    incident_id,
    is_incident_id,
)
from bot.core.roles import CommandError

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ALICE = Actor("slack", "UALICE")
BOB = Actor("slack", "UBOB")


def _incident() -> Incident:
    return Incident(
        id=incident_id(date(2026, 11, 22), 7),
        title="Leaked key",
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="leaked-cloud-access-key",
        declared_at=T0,
        declared_by=ALICE,
    )


def test_ids_are_human_friendly() -> None:
    assert incident_id(date(2026, 11, 22), 7) == "INC-20261122-0007"
    assert is_incident_id("INC-20261122-0007")
    assert not is_incident_id("INC-2026-7")
    with pytest.raises(ValueError):
        incident_id(date(2026, 11, 22), 0)


def test_the_lifecycle_moves_forward() -> None:
    incident = _incident()
    for status in (Status.CONTAINED, Status.RECOVERING, Status.RESOLVED, Status.CLOSED):
        incident.transition(status)
    assert incident.status is Status.CLOSED


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ((), Status.RECOVERING),
        ((), Status.CLOSED),
        ((Status.CONTAINED,), Status.DECLARED),
        ((Status.RESOLVED,), Status.CONTAINED),
        ((Status.RESOLVED, Status.CLOSED), Status.DECLARED),
    ],
)
def test_illegal_transitions_are_refused(path: tuple[Status, ...], wanted: Status) -> None:
    incident = _incident()
    for status in path:
        incident.transition(status)
    before = incident.status
    with pytest.raises(IllegalTransition) as refused:
        incident.transition(wanted)
    assert incident.status is before
    assert wanted.value in str(refused.value)


def test_false_positive_resolves_straight_from_declared() -> None:
    incident = _incident()
    assert incident.transition(Status.RESOLVED) is Status.DECLARED
    assert not incident.is_open


def test_exactly_one_commander_with_history() -> None:
    incident = _incident()
    assert incident.commander is None
    incident.assign_commander(ALICE, T0)
    previous = incident.assign_commander(BOB, T0 + timedelta(minutes=5))
    assert previous == ALICE
    assert incident.commander == BOB
    assert [t.handed_over_at for t in incident.commanders] == [T0 + timedelta(minutes=5), None]
    with pytest.raises(CommandError):
        incident.assign_commander(BOB, T0 + timedelta(minutes=6))
    assert len([t for t in incident.commanders if t.handed_over_at is None]) == 1


def test_identities_are_kept_once() -> None:
    incident = _incident()
    key = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE")
    assert incident.add_identity(key)
    assert not incident.add_identity(
        AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE")
    )
    assert incident.identity("aws:access_key:AKIAEXAMPLE") == key


def test_severity_thresholds() -> None:
    assert Severity.SEV1.at_least(Severity.SEV3)
    assert not Severity.SEV4.at_least(Severity.SEV3)
