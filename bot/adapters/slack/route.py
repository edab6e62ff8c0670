"""``POST /slack/events``: the one Request URL for events, interactivity and commands.

Before bolt sees a request whose signature is valid, two doors close here:

- **Replays.** Slack's signature covers the timestamp and the body, and bolt
  accepts it for five minutes, so a captured request could be sent again and
  would act again (a second incident, a second click). Each signed request is
  taken once, keyed by a digest of its signature and timestamp in the database
  (so it holds across replicas). Events API retries carry a new signature but
  the same ``event_id``, which is taken once as well.

  A replay is answered **200 with an empty body and no effect**. The first
  delivery already got its answer; Slack counts only a 2xx as delivered (an
  error would make it retry events, and show a genuine double delivery to a
  user as a failure of something that did happen); an attacker learns nothing
  either way. Each replay is logged.
- **Foreign workspaces.** With ``SLACK_TEAM_ID``/``SLACK_ENTERPRISE_ID`` set,
  a request from elsewhere gets 403, and when it touches an incident (a click
  on its card, a form about it) the refusal is written to that incident's
  evidence.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry import trace
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.workspace import Workspace, incident_of, parse_body, user_of
from bot.core.actors import Actor
from bot.core.commands import RecordDoorRefusal
from bot.core.measures import CLICK_TO_ACK, UNMEASURED
from bot.core.ports import Metrics
from bot.service.bus import CommandSink

log = logging.getLogger(__name__)
SIGNATURE_WINDOW = timedelta(seconds=300)
MARGIN = timedelta(seconds=60)
EVENT_KEEP = timedelta(hours=1)  # Slack's last retry comes about 5 minutes after the first

TRACER = trace.get_tracer("blastwall.slack")


class ReplayLedger(Protocol):
    async def first_time(self, digest: str, expires_at: datetime) -> bool: ...

    async def forget(self, digest: str) -> None: ...


RecordRefusal = Callable[[str, str, str], Awaitable[None]]
"""(incident id, Slack user id, reason): writes the refusal to the incident's evidence."""


def refusals_to(bus: CommandSink) -> RecordRefusal:
    """A refusal at this door becomes a bus command, recorded like any other."""

    async def record(incident_id: str, user_id: str, reason: str) -> None:
        await bus.handle(RecordDoorRefusal(incident_id, Actor("slack", user_id), reason, "slack"))

    return record


class Doorman:
    """The checks that run between bolt's signature check and its listeners."""

    def __init__(
        self,
        signing_secret: str,
        ledger: ReplayLedger,
        workspace: Workspace,
        record_refusal: RecordRefusal,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._ledger = ledger
        self._workspace = workspace
        self._record_refusal = record_refusal

    async def screen(
        self, raw: bytes, headers: dict[str, str]
    ) -> tuple[Response | None, list[str]]:
        """(an answer that ends the request, or None to go on; the digests taken)."""
        try:
            valid = self._verifier.is_valid_request(raw, headers)
        except ValueError:  # a timestamp that is not a number, a body that is not UTF-8
            return JSONResponse({"detail": "invalid Slack request signature"}, 401), []
        if not valid:
            return None, []  # bolt answers 401 and logs it
        timestamp = int(headers["x-slack-request-timestamp"])
        signed = _digest("sig", headers["x-slack-signature"], str(timestamp))
        until = datetime.fromtimestamp(timestamp, UTC) + SIGNATURE_WINDOW + MARGIN
        if not await self._ledger.first_time(signed, until):
            log.warning("ignored a replayed Slack request (same signature and timestamp)")
            return Response(status_code=200), []
        body = parse_body(raw, headers.get("content-type", ""))
        taken = [signed]
        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id:
            event = _digest("event", event_id)
            if not await self._ledger.first_time(event, datetime.now(UTC) + EVENT_KEEP):
                log.info("ignored Slack event %s: already taken", event_id)
                return Response(status_code=200), taken
            taken.append(event)
        reason = self._workspace.refusal(body)
        if reason is not None:
            await self._refuse(body, reason)
            return JSONResponse({"detail": f"refused: {reason}"}, 403), taken
        return None, taken

    async def _refuse(self, body: dict[str, object], reason: str) -> None:
        user = user_of(body)
        log.warning("refused a Slack request from %s: %s", user, reason)
        incident = incident_of(body)
        if incident is not None:
            await self._record_refusal(incident, user, reason)

    async def release(self, taken: list[str]) -> None:
        """Our failure, not theirs: let Slack's retry through."""
        for digest in taken:
            await self._ledger.forget(digest)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def slack_router(app: AsyncApp, doorman: Doorman, metrics: Metrics = UNMEASURED) -> APIRouter:
    handler = AsyncSlackRequestHandler(app)
    router = APIRouter(tags=["slack"])

    @router.post("/slack/events", include_in_schema=False)
    async def events(request: Request) -> Response:
        started = time.perf_counter()
        with TRACER.start_as_current_span("door slack /slack/events"):
            response = await _answer(request)
        if (await request.body()).startswith(b"payload="):  # a click or a form: timed
            took = time.perf_counter() - started
            metrics.observe(CLICK_TO_ACK, took, {"platform": "slack"})
        return response

    async def _answer(request: Request) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        answer, taken = await doorman.screen(raw, headers)
        if answer is not None:
            return answer
        response: Response = await handler.handle(request)
        if response.status_code >= 500:
            await doorman.release(taken)
        return response

    return router
