"""The service's rules around rotation: the playbook fixes where the new secret goes,
and once an identity is rotated, re-enabling its old credential is refused."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.core.actors import Actor
from bot.core.commands import DeclareIncident, RequestAction, UndoAction
from bot.core.events import ActionRefused, ActionSettled, IncidentDeclared, Refused
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from bot.core.playbooks import OfferedAction
from bot.service.context import Services
from bot.service.handlers import build_bus
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY, ROTATE_ACCESS_KEY, SPECS
from tests.fakes.chat import RecordingNotifier
from tests.fakes.clock import FakeClock
from tests.fakes.connector import FakeConnector
from tests.fakes.memory_store import MemoryDatabase
from tests.service.conftest import PLAYBOOK, FakeSigner

KEY = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE00001", owner="payments")
IAM = Actor("slack", "UIAM")
PATH = "secret/nhi/{owner}/{key}"
ROTATING = replace(
    PLAYBOOK,
    actions=(
        *PLAYBOOK.actions,
        OfferedAction(ROTATE_ACCESS_KEY.id, "Rotate key", params=(("kv_path", PATH),)),
    ),
)


def _services(database: MemoryDatabase) -> Services:
    return Services(
        uow=database.uow,
        clock=FakeClock(),
        playbooks={ROTATING.name: ROTATING},
        catalogue={s.id: s for s in SPECS},
        connectors={"aws_iam": FakeConnector("aws_iam", SPECS)},
        notifiers={"slack": RecordingNotifier()},
        default_platform="slack",
        signer=FakeSigner(),
    )


async def test_the_playbook_names_the_path_and_rotation_ends_reenabling() -> None:
    database = MemoryDatabase()
    bus = build_bus(_services(database))
    (declared,) = await bus.handle(
        DeclareIncident(
            "Key on GitHub", "scanner", Actor("alert", "scanner"), (KEY,), Severity.SEV2
        )
    )
    assert isinstance(declared, IncidentDeclared)
    incident = declared.incident_id
    (contained,) = await bus.handle(RequestAction(incident, DEACTIVATE_ACCESS_KEY.id, KEY.key, IAM))
    assert isinstance(contained, ActionSettled)
    deactivation = next(iter(database.committed.requests))

    elsewhere = {"kv_path": "secret/mine/{key}"}
    (refused,) = await bus.handle(
        RequestAction(incident, ROTATE_ACCESS_KEY.id, KEY.key, IAM, elsewhere)
    )
    assert isinstance(refused, ActionRefused) and "fixed by the playbook" in refused.reason

    (rotated,) = await bus.handle(RequestAction(incident, ROTATE_ACCESS_KEY.id, KEY.key, IAM))
    assert isinstance(rotated, ActionSettled), rotated
    stored = [
        r for r in database.committed.requests.values() if r.action_id == ROTATE_ACCESS_KEY.id
    ]
    assert [r.params for r in stored] == [{"kv_path": PATH}]
    entries = [json.loads(x) for x in database.committed.lines[incident]]
    success = [e for e in entries if e["what"] == "action succeeded"][-1]
    assert success["details"]["identity_state"] == "rotated"

    confirmed = {"confirm_false_positive": "true"}
    (undo,) = await bus.handle(UndoAction(deactivation, IAM, confirmed, "false positive"))
    assert isinstance(undo, Refused) and "was rotated" in undo.reason
