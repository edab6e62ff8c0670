"""``POST /slack/events``: the one Request URL for events, interactivity and commands."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp


def slack_router(app: AsyncApp) -> APIRouter:
    handler = AsyncSlackRequestHandler(app)
    router = APIRouter(tags=["slack"])

    @router.post("/slack/events", include_in_schema=False)
    async def events(request: Request) -> Response:
        response: Response = await handler.handle(request)
        return response

    return router
