"""Declaring an incident from the console, and adding an identity to an open one.

The forms become the same ``DeclareIncident`` (source "manual") and ``AddIdentity``
commands Slack's modals send, so the playbook's rules decide: only playbooks that
allow manual declaration are offered, and a kind the playbook does not take is
refused by the handler with its reason. A form that does not name a whole identity
is answered with what is missing, and nothing is declared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.adapters.console.auth import csrf_ok
from bot.adapters.console.pages import page, signed_in_user
from bot.core.actors import Actor
from bot.core.commands import AddIdentity, DeclareIncident
from bot.core.events import DeclarationRefused, IncidentDeclared, Refused, TurnedAway
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Severity
from bot.service import views

if TYPE_CHECKING:
    from bot.adapters.console.routes import Console

Field = Annotated[str, Form()]
Choice = TypeVar("Choice", Severity, Environment)
BAD_CSRF = "missing or wrong CSRF token: nothing was changed"


class FormProblem(ValueError):
    """What the person must fix in the form; nothing was sent."""


def identity_from(
    system: str, kind: str, external_id: str, owner: str, workload: str, issuer: str
) -> AffectedIdentity | None:
    """The identity the form names; None when it names none; FormProblem when half."""
    named = [v.strip() for v in (system, kind, external_id)]
    if not any(named):
        return None
    if not all(named):
        raise FormProblem("an identity needs its system, kind and id")
    try:
        parsed = IdentityKind(named[1])
    except ValueError as exc:
        raise FormProblem(f"no identity kind {named[1]!r}") from exc
    return AffectedIdentity(
        system=named[0].lower()[:64],
        kind=parsed,
        external_id=named[2][:256],
        owner=owner.strip()[:128] or None,
        workload=workload.strip()[:128] or None,
        issuing_system=issuer.strip()[:64] or None,
    )


def _choice(kind: type[Choice], value: str) -> Choice | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError as exc:
        raise FormProblem(f"no {kind.__name__.lower()} {value!r}") from exc


def _form(request: Request, console: Console, status: int = 200, **context: object) -> Response:
    return page(
        request,
        console.directory,
        "declare.html",
        status,
        playbooks=views.manual_playbooks(console.services),
        severities=[s.value for s in Severity],
        environments=[e.value for e in Environment],
        kinds=[k.value for k in IdentityKind],
        given=context.pop("given", {}),
        **context,
    )


def add_declare_routes(router: APIRouter, console: Console) -> None:
    @router.get("/declare")
    async def declare_form(request: Request) -> Response:
        signed_in_user(request)
        return _form(request, console)

    @router.post("/declare")
    async def declare(request: Request, csrf: Field = "") -> Response:
        me = signed_in_user(request)
        if not csrf_ok(request, console.directory, csrf):
            raise HTTPException(403, BAD_CSRF)
        given = {k: str(v) for k, v in (await request.form()).items() if k != "csrf"}
        try:
            command = _declaration(given, me.actor)
        except FormProblem as exc:
            return _form(request, console, 422, problem=str(exc), given=given)
        for event in await console.bus.handle(command):
            if isinstance(event, IncidentDeclared):
                return RedirectResponse(f"/console/incidents/{event.incident_id}", 303)
            if isinstance(event, DeclarationRefused | Refused | TurnedAway):
                return _form(request, console, 422, problem=event.reason, given=given)
        return _form(request, console, 422, problem="nothing was declared", given=given)

    @router.post("/incidents/{incident_id}/identities")
    async def add_identity(request: Request, incident_id: str, csrf: Field = "") -> Response:
        me = signed_in_user(request)
        if not csrf_ok(request, console.directory, csrf):
            raise HTTPException(403, BAD_CSRF)
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            identity = _identity(form)
        except FormProblem as exc:
            raise HTTPException(422, str(exc)) from exc
        if identity is None:
            raise HTTPException(422, "name the identity: system, kind and id")
        told: list[dict[str, object]] = []
        for event in await console.bus.handle(AddIdentity(me.actor, identity, incident_id)):
            if isinstance(event, Refused | TurnedAway):
                told.append({"text": f"Not done: {event.reason}", "bad": True})
            elif text := getattr(event, "text", ""):
                told.append({"text": str(text), "bad": False})
        request.session.setdefault("flash", []).extend(told)
        return RedirectResponse(f"/console/incidents/{incident_id}", status_code=303)


def _identity(form: dict[str, str]) -> AffectedIdentity | None:
    return identity_from(
        form.get("system", ""),
        form.get("kind", ""),
        form.get("external_id", ""),
        form.get("owner", ""),
        form.get("workload", ""),
        form.get("issuing_system", ""),
    )


def _declaration(form: dict[str, str], actor: Actor) -> DeclareIncident:
    title = form.get("title", "").strip()
    if not title:
        raise FormProblem("give the incident a title")
    playbook = form.get("playbook", "")
    identity = _identity(form)
    return DeclareIncident(
        title=title[:200],
        source="manual",
        declared_by=actor,
        identities=(identity,) if identity else (),
        severity=_choice(Severity, form.get("severity", "")),
        environment=_choice(Environment, form.get("environment", "")),
        summary=form.get("summary", "").strip()[:3000],
        playbook=playbook or None,
    )
