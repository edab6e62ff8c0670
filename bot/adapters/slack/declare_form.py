"""The declaration form (bare ``/incident``) and the add-identity form, and their answers.

A person declaring picks a playbook among those allowing manual declaration,
the severity, the environment and the affected identity, so the incident starts
in the right playbook with its buttons on the card. Slack cannot narrow one
select by another without a round trip, so the kinds offered are those of every
manual playbook, and a kind the chosen playbook does not take is an inline error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.adapters.slack.views import DECLARE_VIEW, value_of
from bot.core.actors import Actor
from bot.core.commands import AddIdentity, DeclareIncident
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Severity
from bot.core.playbooks import Playbook

IDENTITY_VIEW = "bw.identity"
_IDENTITY_BLOCKS = ("system", "kind", "external_id", "owner")


def _text(label: str) -> dict[str, str]:
    return {"type": "plain_text", "text": label[:75]}


def _option(value: str, label: str | None = None) -> dict[str, Any]:
    return {"text": _text(label or value), "value": value}


def _select(
    block: str, label: str, options: Sequence[dict[str, Any]], optional: bool = True
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block,
        "optional": optional,
        "label": _text(label),
        "element": {"type": "static_select", "action_id": block, "options": list(options)},
    }


def _input(block: str, label: str, optional: bool = True, **extra: Any) -> dict[str, Any]:
    element = {"type": "plain_text_input", "action_id": block, **extra}
    return {
        "type": "input",
        "block_id": block,
        "optional": optional,
        "label": _text(label),
        "element": element,
    }


def manual_playbooks(playbooks: Mapping[str, Playbook]) -> list[Playbook]:
    return sorted((p for p in playbooks.values() if p.trigger.manual), key=lambda p: p.name)


def _kinds(playbook: Playbook) -> str:
    return ", ".join(sorted(k.value for k in playbook.trigger.kinds)) or "any kind"


def _identity_blocks(kinds: Sequence[IdentityKind]) -> list[dict[str, Any]]:
    return [
        _input("system", "Identity: system (aws, github, vault…)", max_length=64),
        _select("kind", "Identity: kind", [_option(k.value) for k in kinds]),
        _input("external_id", "Identity: id (key id, token accessor…)", max_length=256),
        _input("owner", "Identity: owner (team or person)", max_length=128),
    ]


def declare_view(playbooks: Mapping[str, Playbook]) -> dict[str, Any]:
    allowed = manual_playbooks(playbooks)
    blocks: list[dict[str, Any]] = []
    if allowed:
        select = _select(
            "playbook", "Playbook", [_option(p.name, p.title) for p in allowed], optional=False
        )
        select["element"]["initial_option"] = select["element"]["options"][0]
        blocks.append(select)
        kinds_note = "; ".join(f"{p.name}: {_kinds(p)}" for p in allowed)
        blocks.append(
            {"type": "context", "elements": [_text_md(f"Identity kinds taken: {kinds_note}")]}
        )
    blocks += [
        _select("severity", "Severity (else the playbook's)", [_option(s.value) for s in Severity]),
        _select("environment", "Environment", [_option(e.value) for e in Environment]),
        _input("title", "Title", optional=False, max_length=200),
        _input("summary", "What do you know so far?", multiline=True, max_length=3000),
        *_identity_blocks(list(IdentityKind)),
    ]
    return {
        "type": "modal",
        "callback_id": DECLARE_VIEW,
        "title": _text("Declare an incident"),
        "submit": _text("Declare"),
        "blocks": blocks,
    }


def _text_md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:2000]}


def identity_view(incident_id: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": IDENTITY_VIEW,
        "title": _text("Add an identity"),
        "submit": _text("Add"),
        "private_metadata": incident_id,
        "blocks": [
            {**block, "optional": block["block_id"] == "owner"}
            for block in _identity_blocks(list(IdentityKind))
        ],
    }


def _identity(view: dict[str, Any]) -> AffectedIdentity | dict[str, str] | None:
    """The identity in the form, None when it names none, or errors per block."""
    values = {b: value_of(view, b, b) for b in _IDENTITY_BLOCKS}
    if not any(values[b] for b in ("system", "kind", "external_id")):
        return None
    missing = {b: "Needed to name the identity." for b in _IDENTITY_BLOCKS[:3] if not values[b]}
    if missing:
        return missing
    return AffectedIdentity(
        system=values["system"].lower(),
        kind=IdentityKind(values["kind"]),
        external_id=values["external_id"],
        owner=values["owner"] or None,
    )


def declaration(
    view: dict[str, Any], user: Actor, playbooks: Mapping[str, Playbook]
) -> DeclareIncident | dict[str, str]:
    """The declaration the form asks for, or Slack's inline errors per block."""
    title = value_of(view, "title", "title")
    if not title:
        return {"title": "Give the incident a title."}
    identity = _identity(view)
    if isinstance(identity, dict):
        return identity
    chosen = playbooks.get(value_of(view, "playbook", "playbook"))
    if chosen is not None and identity is not None:
        kinds = chosen.trigger.kinds
        if kinds and identity.kind not in kinds:
            return {"kind": f"{chosen.name} takes {_kinds(chosen)}."}
    severity, environment = (
        value_of(view, "severity", "severity"),
        value_of(view, "environment", "environment"),
    )
    return DeclareIncident(
        title=title[:200],
        source="manual",
        declared_by=user,
        identities=(identity,) if identity else (),
        severity=Severity(severity) if severity else None,
        environment=Environment(environment) if environment else None,
        summary=value_of(view, "summary", "summary"),
        playbook=chosen.name if chosen else None,
    )


def identity_added(view: dict[str, Any], user: Actor) -> AddIdentity | dict[str, str]:
    identity = _identity(view)
    if identity is None:
        return {"system": "Name the identity: system, kind and id."}
    if isinstance(identity, dict):
        return identity
    return AddIdentity(user, identity, incident_id=str(view.get("private_metadata", "")))
