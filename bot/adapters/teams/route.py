"""``POST /api/messages``: the one door Teams knocks on."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bot.adapters.teams.auth import Unauthorized, Verifier
from bot.adapters.teams.inbound import TeamsInbound

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


def teams_router(verifier: Verifier, inbound: TeamsInbound) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/api/messages",
        tags=["teams"],
        summary="Bot Framework activities from Microsoft Teams",
        responses={401: {"description": "the bearer token did not verify"}},
    )
    async def messages(request: Request) -> Response:
        """Nothing is read, stored or run before the token verifies: anything else
        gets 401 and changes nothing."""
        activity = _activity(await request.body())
        try:
            if activity is None:
                raise Unauthorized("not an activity")
            await verifier.verify(activity, request.headers.get("authorization"))
        except Unauthorized:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        answer = await inbound.handle(activity)
        if answer is not None:
            return JSONResponse(answer, status_code=200)
        return Response(status_code=201)

    return router


def _activity(body: bytes) -> dict[str, Any] | None:
    if len(body) > MAX_BODY:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
