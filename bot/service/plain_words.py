"""Incident nouns as a responder says them: "Access key AKIA… of user ci-deployer",
"awaiting approval", "1 checkpoint". Every surface that shows people the state of an
incident reads these, so the console and a card never call one thing two names."""

from __future__ import annotations

from bot.core.actions import ActionRequest, Operation, RequestStatus
from bot.core.identities import AffectedIdentity, IdentityKind

KINDS = {
    IdentityKind.ACCESS_KEY: "Access key",
    IdentityKind.SERVICE_ACCOUNT: "Service account",
    IdentityKind.TOKEN: "Token",
    IdentityKind.CERTIFICATE: "Certificate",
    IdentityKind.AGENT: "Agent",
    IdentityKind.WORKLOAD: "Workload",
    IdentityKind.ROLE: "Role",
    IdentityKind.USER: "User",
    IdentityKind.APP_INSTALLATION: "App installation",
    IdentityKind.SECRET: "Secret",
}
REQUEST_STATES = {
    RequestStatus.AWAITING_APPROVAL: "awaiting approval",
    RequestStatus.RUNNING: "running",
    RequestStatus.SUCCEEDED: "done",
    RequestStatus.FAILED: "failed",
    RequestStatus.DENIED: "denied",
}
# A field whose value says it all ("Active → Inactive") needs no name before it.
SELF_EVIDENT = frozenset({"status", "state"})


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 checkpoint``, ``2 checkpoints``, ``0 entries``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {many or (noun[:-1] + 'ies' if noun.endswith('y') else noun + 's')}"


def identity_label(identity: AffectedIdentity, user: object = None) -> str:
    """What the identity is, in words; ``user`` is who holds it when the system said so."""
    holder = user or identity.attribute("user")
    kind = KINDS.get(identity.kind, identity.kind.value.replace("_", " ").capitalize())
    label = f"{kind} {identity.external_id}"
    return f"{label} of user {holder}" if holder else label


def value_text(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None or value == "":
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) or "none"
    return str(value)


def field_name(name: str) -> str:
    return "" if name in SELF_EVIDENT else name.replace("_", " ")


def request_state(request: ActionRequest) -> str:
    return REQUEST_STATES[request.status]


def request_title(request: ActionRequest, title: str) -> str:
    return f"Undo of {title}" if request.operation is Operation.UNDO else title
