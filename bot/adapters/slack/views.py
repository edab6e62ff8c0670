"""The modals Blastwall opens: decide an approval, hand off command (declaring and
adding an identity: ``declare_form``)."""

from __future__ import annotations

from typing import Any

DECLARE_VIEW = "bw.declare"
DECIDE_VIEW = "bw.decide"
HANDOFF_VIEW = "bw.handoff"


def _text(label: str) -> dict[str, str]:
    return {"type": "plain_text", "text": label}


def decide_view(button_value: str, decision: str) -> dict[str, Any]:
    """The justification modal. The button's value (request and plan hash) rides along
    in private_metadata, so the decision stays bound to the plan that was shown."""
    title = "Approve" if decision == "approve" else "Deny"
    return {
        "type": "modal",
        "callback_id": DECIDE_VIEW,
        "title": _text(f"{title} the action"),
        "submit": _text(title),
        "private_metadata": button_value,
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "optional": decision == "approve",
                "label": _text("Why? (recorded as evidence)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reason",
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def handoff_view(incident_id: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": HANDOFF_VIEW,
        "title": _text("Hand off command"),
        "submit": _text("Offer command"),
        "private_metadata": incident_id,
        "blocks": [
            {
                "type": "input",
                "block_id": "to",
                "label": _text("New commander"),
                "element": {"type": "users_select", "action_id": "to"},
            },
        ],
    }


def value_of(view: dict[str, Any], block: str, action: str) -> str:
    state = view.get("state", {}).get("values", {})
    element = state.get(block, {}).get(action, {}) or {}
    selected = (element.get("selected_option") or {}).get("value")
    return str(element.get("value") or element.get("selected_user") or selected or "").strip()
