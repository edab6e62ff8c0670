"""``POST /alerts``: bearer-authenticated, validated, then one DeclareIncident."""

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from bot.bus import CommandSink
from bot.core.actors import Actor
from bot.core.commands import DeclareIncident
from bot.core.events import AlertCoalesced, IncidentDeclared
from bot.declare import DeclarationRefused
from bot.intake.alert import Alert


class Accepted(BaseModel):
    incident: str
    coalesced: bool


def alerts_router(bus: CommandSink, token: str | None, seal: Callable[[str], str]) -> APIRouter:
    router = APIRouter(tags=["alerts"])
    bearer = HTTPBearer(auto_error=False)

    def authorized(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
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

    @router.post(
        "/alerts",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[Depends(authorized)],
    )
    async def receive(alert: Alert) -> Accepted:
        """Declare an incident for the alert, or join the open one about the same identity."""
        command = DeclareIncident(
            title=alert.headline(),
            source=alert.source,
            declared_by=Actor(platform="alert", user_id=alert.source),
            identities=alert.affected(seal),
            severity=alert.severity,
            environment=alert.environment,
            summary=alert.summary,
            details=alert.details,
        )
        try:
            events = await bus.handle(command)
        except DeclarationRefused as refused:
            raise HTTPException(422, str(refused)) from refused
        for event in events:
            if isinstance(event, IncidentDeclared | AlertCoalesced):
                return Accepted(
                    incident=event.incident_id, coalesced=isinstance(event, AlertCoalesced)
                )
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, "no incident was recorded")

    return router
