"""The console's pages and forms. Translation only: each form becomes a bus command,
the same ones Slack sends, so every rule (rights, approvals, idempotency) holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.adapters.console import pictures
from bot.adapters.console.auth import ADMIN, SESSION_KEY, ConsoleUser, Directory, csrf_ok
from bot.adapters.console.declare import add_declare_routes
from bot.adapters.console.evidence import BAD_CSRF, add_evidence_routes
from bot.adapters.console.pages import page, problem, route_class, signed_in_user
from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.commands import (
    AcceptCommand,
    AcknowledgeCommand,
    ChangeStatus,
    Command,
    DecideApproval,
    ProposeHandoff,
    RequestAction,
    UndoAction,
)
from bot.core.events import (
    ActionRefused,
    ActionSettled,
    DeclarationRefused,
    Event,
    Refused,
    StatusRefused,
    TurnedAway,
)
from bot.core.identities import IdentityKind
from bot.core.incidents import Status
from bot.evidence.review_render import duration
from bot.service import views
from bot.service.audit import may_audit
from bot.service.bus import CommandSink
from bot.service.context import Services
from bot.service.notify import replies

Field = Annotated[str, Form()]


@dataclass(frozen=True)
class Console:
    bus: CommandSink
    services: Services
    directory: Directory
    public_pem: bytes


def _user(request: Request, console: Console) -> ConsoleUser:
    """The signed-in user: the route's gate (pages.route_class) looked the session up."""
    return signed_in_user(request)


def _page(request: Request, console: Console, name: str, **context: Any) -> HTMLResponse:
    return page(request, console.directory, name, **context)


def _say(request: Request, text: str, bad: bool = False) -> None:
    if text:
        request.session.setdefault("flash", []).append({"text": text, "bad": bad})


def _bad(event: Event) -> bool:
    """A refusal, or an action that ran and failed: shown as a problem, not a success."""
    refused = (ActionRefused, Refused, StatusRefused, TurnedAway, DeclarationRefused)
    failed = isinstance(event, ActionSettled) and event.status is RequestStatus.FAILED
    return isinstance(event, refused) or failed


def _describe(event: Event, svc: Services) -> str:
    """The requester's line, with the action's title where the reply names its id."""
    text = replies.reply(event) or ""
    action = getattr(event, "action_id", None)
    spec = svc.catalogue.get(action) if isinstance(action, str) else None
    return text.replace(spec.id, spec.title, 1) if spec else text


async def _run(
    request: Request, console: Console, csrf: str | None, command: Command, back: str
) -> RedirectResponse:
    """Every state change: session and CSRF first, then the bus; nothing changes otherwise."""
    if not csrf_ok(request, console.directory, csrf):
        raise HTTPException(403, BAD_CSRF)
    events = await console.bus.accept(command)  # answered once recorded, before the work
    said = [(_describe(e, console.services), _bad(e)) for e in events]
    for text, bad in said:
        _say(request, text, bad)
    if not any(text for text, _ in said):
        _say(request, "Done." if events else "Recorded: the outcome appears here when it is done.")
    return RedirectResponse(back, status_code=303)


async def _room(request: Request, console: Console, incident_id: str) -> HTMLResponse:
    me = _user(request, console)
    svc = console.services
    seen = await views.room(svc, incident_id, me.actor)
    if seen is None:
        raise HTTPException(404, f"no incident {incident_id}")
    playbook = svc.playbooks[seen.incident.playbook]
    steps = {t.kind: playbook.ladder(t.kind) for t in seen.timers}
    return _page(
        request,
        console,
        "room.html",
        auditor=await may_audit(svc, incident_id, me.actor),
        incident=seen.incident,
        room=seen,
        user=me,
        picture=pictures.timeline(seen.entries),
        ladders=pictures.ladders(seen.timers, steps, svc.clock.now()),
        kinds=[k.value for k in IdentityKind],
        duration=duration,
    )


def console_router(console: Console) -> APIRouter:
    router = APIRouter(
        prefix="/console", include_in_schema=False, route_class=route_class(console.directory)
    )
    svc = console.services
    _add_sign_in_routes(router, console)

    @router.get("")
    async def incidents(request: Request) -> HTMLResponse:
        me = _user(request, console)
        rows = await views.incident_list(svc)
        return _page(
            request,
            console,
            "list.html",
            rows=rows,
            user=me,
            now=svc.clock.now(),
            declarable=bool(views.manual_playbooks(svc)),
        )

    @router.get("/incidents/{incident_id}")
    async def room(request: Request, incident_id: str) -> HTMLResponse:
        return await _room(request, console, incident_id)

    @router.get("/incidents/{incident_id}/live")
    async def live(request: Request, incident_id: str) -> Response:
        _user(request, console)
        count = await views.ledger_size(svc, incident_id)
        return Response(json.dumps({"entries": count}), media_type="application/json")

    @router.get("/incidents/{incident_id}/plan")
    async def plan(request: Request, incident_id: str, action: str, target: str) -> HTMLResponse:
        me = _user(request, console)
        dry = await views.preview(svc, incident_id, action, target, me.actor)
        if dry is None:
            raise HTTPException(404, "no such action here")
        return _page(request, console, "plan.html", incident=dry.incident, user=me, dry=dry)

    @router.post("/incidents/{incident_id}/act")
    async def act(
        request: Request,
        incident_id: str,
        action: Field,
        target: Field,
        csrf: Field = "",
        why: Field = "",
    ) -> Response:
        me = _user(request, console)
        return await _run(
            request,
            console,
            csrf,
            RequestAction(incident_id, action, target, me.actor, justification=why),
            f"/console/incidents/{incident_id}",
        )

    @router.post("/approvals/{request_key}")
    async def decide(
        request: Request,
        request_key: str,
        incident: Field,
        decision: Field,
        plan_hash: Field,
        csrf: Field = "",
        reason: Field = "",
    ) -> Response:
        me = _user(request, console)
        try:
            choice = Decision(decision)
        except ValueError as exc:
            raise HTTPException(422, "decision is approve or deny") from exc
        return await _run(
            request,
            console,
            csrf,
            DecideApproval(request_key, me.actor, choice, plan_hash, reason),
            f"/console/incidents/{incident}",
        )

    @router.post("/incidents/{incident_id}/command")
    async def command(
        request: Request,
        incident_id: str,
        what: Field,
        csrf: Field = "",
        to: Field = "",
        status: Field = "",
        reason: Field = "",
        request_key: Field = "",
        confirm: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        me = _user(request, console)
        built = _command(me, incident_id, what, to, status, reason, request_key)
        if isinstance(built, UndoAction) and confirm:
            built = UndoAction(request_key, me.actor, {c: "true" for c in confirm}, reason)
        return await _run(request, console, csrf, built, f"/console/incidents/{incident_id}")

    add_evidence_routes(router, console)
    add_declare_routes(router, console)

    @router.get("/playbooks")
    async def playbooks(request: Request) -> HTMLResponse:
        return _playbooks(request, console)

    @router.post("/links")
    async def mint(request: Request, name: Field, csrf: Field = "") -> Response:
        me = _user(request, console)
        if me.name != ADMIN or not csrf_ok(request, console.directory, csrf):
            raise HTTPException(403, "only the administrator mints sign-in links")
        if console.directory.user(name) is None:
            raise HTTPException(404, f"no console user {name}")
        link = f"/console/login?token={await console.directory.mint(name)}"
        return _playbooks(request, console, minted={"name": name, "link": link})

    @router.api_route("/{anything:path}", methods=["GET", "POST"])
    async def nowhere(anything: str) -> Response:
        raise HTTPException(404, "there is no such console page")

    return router


def _playbooks(request: Request, console: Console, **context: Any) -> HTMLResponse:
    """The playbooks in force; a freshly made sign-in link is shown here, once, and is
    never put in a cookie or a redirect."""
    svc = console.services
    return _page(
        request,
        console,
        "playbooks.html",
        user=_user(request, console),
        playbooks=svc.playbooks.values(),
        catalogue=svc.catalogue,
        **context,
    )


def _add_sign_in_routes(router: APIRouter, console: Console) -> None:
    @router.get("/login")
    async def login(request: Request, token: str = "") -> Response:
        user = await console.directory.redeem(token)
        if user is None:
            return problem(
                request, console.directory, 401, "This sign-in link is invalid, used or expired."
            )
        await console.directory.end_session(request.session.get(SESSION_KEY))
        request.session.clear()  # a fresh session id: nothing carries over from before
        request.session[SESSION_KEY] = await console.directory.open_session(user)
        return RedirectResponse("/console", status_code=303)

    @router.post("/logout")
    async def logout(request: Request, csrf: Field = "") -> Response:
        """Ends the session in the database, so every copy of the cookie stops working."""
        if not csrf_ok(request, console.directory, csrf):
            raise HTTPException(403, BAD_CSRF)
        await console.directory.end_session(request.session.get(SESSION_KEY))
        request.session.clear()
        return RedirectResponse("/console/signed-out", status_code=303)

    @router.get("/signed-out")
    async def signed_out(request: Request) -> HTMLResponse:
        return page(
            request,
            console.directory,
            "problem.html",
            heading="Signed out",
            message="You are signed out; this session no longer works anywhere.",
        )


def _command(
    me: ConsoleUser,
    incident_id: str,
    what: str,
    to: str,
    status: str,
    reason: str,
    request_key: str,
) -> Command:
    try:
        if what == "ack":
            return AcknowledgeCommand(me.actor, incident_id=incident_id)
        if what == "handoff":
            return ProposeHandoff(me.actor, Actor.parse(to), incident_id=incident_id)
        if what == "accept":
            return AcceptCommand(me.actor, incident_id)
        if what == "status":
            return ChangeStatus(me.actor, Status(status), incident_id=incident_id, reason=reason)
        if what == "undo":
            return UndoAction(request_key, me.actor, justification=reason)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    raise HTTPException(422, f"unknown command {what!r}")
