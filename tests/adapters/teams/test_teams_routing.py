"""Which chat an incident opens in when Slack and Teams are both configured."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.actors import SYSTEM, Actor
from bot.core.incidents import Environment, Incident, RoomRef, Severity
from bot.service.context import Services
from tests.fakes.chat import RecordingNotifier
from tests.fakes.clock import FakeClock
from tests.fakes.memory_store import MemoryDatabase


def _services() -> tuple[Services, dict[str, RecordingNotifier]]:
    chats = {
        "slack": RecordingNotifier(),
        "teams": RecordingNotifier(),
        "console": RecordingNotifier(),
    }
    services = Services(
        uow=MemoryDatabase().uow,
        clock=FakeClock(),
        playbooks={},
        catalogue={},
        connectors={},
        notifiers=chats,
        default_platform="slack",
        signer=None,  # type: ignore[arg-type]
    )
    return services, chats


def _incident(by: Actor, room: RoomRef | None = None) -> Incident:
    return Incident(
        id="INC-20261201-0001",
        title="t",
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=datetime.now(UTC),
        declared_by=by,
        room=room,
    )


def test_an_incident_opens_in_the_chat_it_was_declared_from() -> None:
    services, chats = _services()
    assert services.notifier_for(_incident(Actor("teams", "aad-1"))) is chats["teams"]
    assert services.notifier_for(_incident(Actor("slack", "U1"))) is chats["slack"]
    assert services.notifier_for(_incident(SYSTEM)) is chats["slack"]  # an alert: the default
    assert services.notifier_for(_incident(Actor("console", "bob"))) is chats["slack"]
    in_slack = _incident(Actor("teams", "aad-1"), RoomRef("slack", "C1", "inc"))
    assert services.notifier_for(in_slack) is chats["slack"]  # the room decides once it exists
