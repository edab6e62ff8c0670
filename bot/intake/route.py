"""The alert doors: ``POST /alerts`` (our format) and one per vendor format.

- ``/alerts``: bot.intake.alert.Alert (strict), bearer BLASTWALL_INTAKE_TOKEN;
- ``/alerts/github``: the ``secret_scanning_alert`` webhook, signed with
  ``X-Hub-Signature-256`` (BLASTWALL_GITHUB_WEBHOOK_SECRET);
- ``/alerts/eventbridge``: GuardDuty / Security Hub via EventBridge, bearer;
- ``/alerts/ocsf``: an OCSF Detection Finding (class_uid 2004), bearer.

Every door answers 202 with what it did, 401 when unauthenticated (nothing
changes), 422 when the body is refused (FastAPI's one ``detail`` list shape,
also when no playbook takes the alert) and 503 when its secret is not set.
"""

import hmac
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from bot.core.actors import Actor
from bot.core.commands import DeclareIncident
from bot.core.events import AlertCoalesced, DeclarationRefused, IncidentDeclared
from bot.core.evidence import What
from bot.core.ports import SecretAlertLookup
from bot.intake import eventbridge, github, ocsf
from bot.intake.alert import Alert, Keys
from bot.intake.eventbridge import EventBridgeEvent, NamesNoIdentity
from bot.intake.ocsf import DetectionFinding
from bot.service.bus import CommandSink

RECENT_DELIVERIES = 4096


class Accepted(BaseModel):
    incident: str
    coalesced: bool


class Received(BaseModel):
    """What a vendor door did: the incidents declared or joined, or why nothing was."""

    accepted: list[Accepted]
    ignored: str | None = None


class Problem(BaseModel):
    detail: str


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Refusal(BaseModel):
    """Every 422, from any door: the fields refused and why (FastAPI's own shape)."""

    detail: list[FieldProblem]


@dataclass(frozen=True)
class IntakeConfig:
    token: str | None
    github_secret: str | None
    keys: Keys
    github_alerts: SecretAlertLookup | None = None  # reads the value the webhook lacks


def _answers(auth: str) -> dict[int | str, dict[str, Any]]:
    return {
        401: {"model": Problem, "description": f"no valid {auth}; nothing changed"},
        422: {
            "model": Refusal,
            "description": "the body is refused, or no playbook takes the alert",
        },
        503: {"model": Problem, "description": "this door's secret is not configured"},
    }


def refused(where: tuple[str | int, ...], message: str, kind: str) -> RequestValidationError:
    """A 422 in the same shape as a validation error, whatever refused the alert."""
    return RequestValidationError([{"loc": ("body", *where), "msg": message, "type": kind}])


def _validation(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"]), "ctx": None} for e in exc.errors(include_url=False)]
    )


async def declare(
    bus: CommandSink, alert: Alert, keys: Keys, note_as: What | None = None
) -> Accepted | None:
    """Declare an incident for the alert, or join the open one about the same identity."""
    command = DeclareIncident(
        title=alert.headline(),
        source=alert.source,
        declared_by=Actor(platform="alert", user_id=alert.source),
        identities=alert.affected(keys),
        severity=alert.severity,
        environment=alert.environment,
        summary=alert.summary,
        details=alert.details,
        note_as=note_as,
    )
    events = await bus.accept(command)  # 202 once the declaration is durable
    for event in events:
        if isinstance(event, DeclarationRefused):
            raise refused((), event.reason, "declaration_refused")
        if isinstance(event, IncidentDeclared | AlertCoalesced):
            return Accepted(incident=event.incident_id, coalesced=isinstance(event, AlertCoalesced))
    return None


_BEARER = HTTPBearer(auto_error=False)


def bearer_guard(token: str | None) -> Callable[..., None]:
    """The dependency that lets a request in only with the intake bearer token."""

    def authorized(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> None:
        if token is None:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "alert intake is off: set BLASTWALL_INTAKE_TOKEN",
            )
        given = credentials.credentials if credentials else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return authorized


def alerts_router(bus: CommandSink, config: IntakeConfig) -> APIRouter:
    router = APIRouter(tags=["alerts"])
    door = partial(
        router.post,
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[Depends(bearer_guard(config.token))],
        responses=_answers("bearer token"),
    )

    @door("/alerts")
    async def receive(alert: Alert) -> Accepted:
        """Our own format: strict, unknown fields are refused."""
        accepted = await declare(bus, alert, config.keys)
        if accepted is None:
            raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, "no incident was recorded")
        return accepted

    @door("/alerts/eventbridge")
    async def receive_eventbridge(event: EventBridgeEvent) -> Received:
        """A GuardDuty finding or Security Hub (ASFF) findings, as EventBridge delivers them."""
        alerts = _translate(lambda: eventbridge.to_alerts(event), ("detail",))
        return await _declare_all(bus, alerts, config.keys)

    @door("/alerts/ocsf")
    async def receive_ocsf(finding: DetectionFinding) -> Received:
        """An OCSF Detection Finding (class_uid 2004)."""
        alerts = _translate(lambda: [ocsf.to_alert(finding)], ())
        return await _declare_all(bus, alerts, config.keys)

    router.include_router(_github_router(bus, config))
    return router


def _translate(translate: Callable[[], list[Alert]], where: tuple[str, ...]) -> list[Alert]:
    try:
        alerts = translate()
    except ValidationError as exc:
        raise _validation(exc) from exc
    except NamesNoIdentity as exc:
        raise refused(where, str(exc), "names_no_identity") from exc
    except ValueError as exc:  # a vendor field we read is out of its range
        raise refused(where, str(exc), "value_error") from exc
    return alerts


async def _declare_all(bus: CommandSink, alerts: list[Alert], keys: Keys) -> Received:
    accepted = [a for alert in alerts if (a := await declare(bus, alert, keys))]
    return Received(accepted=accepted)


class _Deliveries:
    """Recent ``X-GitHub-Delivery`` ids: a redelivery to this replica changes nothing.
    (One on another replica joins the same incident, as any further alert does.)"""

    def __init__(self, size: int = RECENT_DELIVERIES) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def __contains__(self, delivery: str | None) -> bool:
        return delivery is not None and delivery in self._seen

    def remember(self, delivery: str | None) -> None:
        if delivery:
            self._seen[delivery] = None
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)


def _github_router(bus: CommandSink, config: IntakeConfig) -> APIRouter:
    """Signed by GitHub, not by our bearer token; the signature is checked on the raw
    bytes before anything is parsed, so an unsigned body gets 401 whatever it holds."""
    router = APIRouter(tags=["alerts"])
    recent = _Deliveries()
    schema = _inline(github.SecretScanningWebhook.model_json_schema())
    body_doc = {"required": True, "content": {"application/json": {"schema": schema}}}

    @router.post(
        "/alerts/github",
        status_code=status.HTTP_202_ACCEPTED,
        responses=_answers("X-Hub-Signature-256"),
        openapi_extra={"requestBody": body_doc},
    )
    async def receive_github(
        request: Request,
        x_hub_signature_256: Annotated[str | None, Header()] = None,
        x_github_event: Annotated[str | None, Header()] = None,
        x_github_delivery: Annotated[str | None, Header()] = None,
    ) -> Received:
        """GitHub's ``secret_scanning_alert`` webhook (created, reopened, resolved)."""
        body = await request.body()
        _verify_github(config.github_secret, body, x_hub_signature_256)
        x_github_delivery = x_github_delivery[:100] if x_github_delivery else None
        if x_github_event != "secret_scanning_alert":
            return Received(accepted=[], ignored=f"event {x_github_event!r} is not read")
        if x_github_delivery in recent:
            return Received(accepted=[], ignored="delivery already received")
        received = await _github_action(bus, _parse_github(body), config, x_github_delivery)
        recent.remember(x_github_delivery)
        return received

    return router


def _verify_github(secret: str | None, body: bytes, signature: str | None) -> None:
    if secret is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "GitHub intake is off: set BLASTWALL_GITHUB_WEBHOOK_SECRET",
        )
    if not github.signature_valid(secret, body, signature):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "X-Hub-Signature-256 does not match the body"
        )


def _parse_github(body: bytes) -> github.SecretScanningWebhook:
    try:
        return github.SecretScanningWebhook.model_validate(json.loads(body))
    except json.JSONDecodeError as exc:
        raise refused((exc.pos,), f"JSON decode error: {exc.msg}", "json_invalid") from exc
    except ValidationError as exc:
        raise _validation(exc) from exc


async def _github_action(
    bus: CommandSink, hook: github.SecretScanningWebhook, config: IntakeConfig, delivery: str | None
) -> Received:
    if hook.action not in github.DECLARING and hook.action != github.RESOLVED:
        return Received(accepted=[], ignored=f"action {hook.action!r} changes nothing here")
    keys = config.keys
    hook, read = await github.with_secret(hook, config.github_alerts)
    alert = _translate(lambda: [github.to_alert(hook, keys, delivery, read)], ("alert",))[0]
    if hook.action == github.RESOLVED:
        noted = await declare(bus, alert, keys, note_as=What.ALERT_RESOLVED_AT_SOURCE)
        if noted is None:
            return Received(accepted=[], ignored="no open incident is about this secret")
        return Received(accepted=[noted])
    accepted = await declare(bus, alert, keys)
    return Received(accepted=[accepted] if accepted else [])


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined, to sit in the OpenAPI body."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined
