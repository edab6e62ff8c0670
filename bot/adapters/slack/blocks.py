"""The incident card as Block Kit, within Slack's limits."""

from __future__ import annotations

from typing import Any, assert_never

from bot.adapters.slack.escaping import escape, mention
from bot.adapters.slack.payloads import encode_action, encode_prompt
from bot.core.actions import RequestStatus
from bot.core.cards import (
    ALL_TARGETS,
    Card,
    CardButton,
    CardOutcome,
    Prompt,
    target_text,
)

ACTION_PREFIX = "bw.act."
MAX_ELEMENTS = 25  # per actions block
MAX_BUTTON_TEXT = 75


def mark(status: RequestStatus) -> str:
    """Every status has its mark: a missing one would freeze the card (the update
    raises, and every later update of the incident with it), so mypy checks the match."""
    match status:
        case RequestStatus.AWAITING_APPROVAL:
            return "⏸️"
        case RequestStatus.RUNNING:
            return "⏳"
        case RequestStatus.SUCCEEDED:
            return "✅"
        case RequestStatus.FAILED:
            return "❌"
        case RequestStatus.DENIED:
            return "🚫"
    assert_never(status)


ASK_PREFIX = "bw.ask."
CARD_ACK = "bw.cmd.ack"
UNDO_PREFIX = "bw.undo."
CARD_HANDOFF = "bw.cmd.handoff"
CARD_ADD_IDENTITY = "bw.cmd.identity"


def prompt_blocks(prompt: Prompt) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(prompt.text)[:2900]}}
    ]
    if prompt.buttons:
        elements = []
        for n, button in enumerate(prompt.buttons):
            element: dict[str, Any] = {
                "type": "button",
                "action_id": f"{ASK_PREFIX}{n}",
                "text": {"type": "plain_text", "text": button.label[:MAX_BUTTON_TEXT]},
                "value": encode_prompt(button),
            }
            if button.danger:
                element["style"] = "danger"
            elements.append(element)
        blocks.append({"type": "actions", "block_id": "bw.ask", "elements": elements})
    return blocks


def card_text(card: Card) -> str:
    return f"{card.incident_id} {card.severity} {card.status}: {escape(card.title)}"


def card_blocks(card: Card) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "emoji": False,
                "text": f"{card.incident_id} · {card.severity}"[:150],
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{escape(card.title)[:2900]}*"},
            "fields": [
                {"type": "mrkdwn", "text": f"*Status*\n{escape(card.status)}"},
                {"type": "mrkdwn", "text": _commander(card)},
                {"type": "mrkdwn", "text": f"*Environment*\n{escape(card.environment)}"},
                {"type": "mrkdwn", "text": f"*Severity*\n{escape(card.severity)}"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _identities(card)}},
    ]
    if card.notes:
        blocks.append(
            {
                "type": "section",
                "block_id": "bw.notes",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Read before approving*\n"
                    + "\n".join(f"• {escape(line)}" for line in card.notes[:10])[:2900],
                },
            }
        )
    if card.pending:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Awaiting approval*\n"
                    + "\n".join(f"• {escape(line)}" for line in card.pending[:10])[:2900],
                },
            }
        )
    blocks += _actions(card)
    blocks.append(_command_buttons(card))
    undo = [o for o in card.outcomes if o.undoable][-5:]
    if undo:
        blocks.append(
            {
                "type": "actions",
                "block_id": "bw.undo",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{UNDO_PREFIX}{n}",
                        "value": o.request_key,
                        "text": {
                            "type": "plain_text",
                            "text": f"Undo {o.action_id.rsplit('.', 1)[-1]}: "
                            f"{o.target_key.rsplit(':', 1)[-1]}"[:MAX_BUTTON_TEXT],
                        },
                    }
                    for n, o in enumerate(undo)
                ],
            }
        )
    if card.outcomes:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _outcome(o)} for o in card.outcomes[-10:]],
            }
        )
    return blocks


def _commander(card: Card) -> str:
    text = f"*Commander*\n{mention(card.commander)}"
    if not card.acknowledged:
        text += " (not yet acknowledged)"
    if card.handoff_to:
        text += f"\nhandoff offered to {mention(card.handoff_to)}"
    return text


def _command_buttons(card: Card) -> dict[str, Any]:
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": CARD_HANDOFF,
            "value": card.incident_id,
            "text": {"type": "plain_text", "text": "Hand off command"},
        },
        {
            "type": "button",
            "action_id": CARD_ADD_IDENTITY,
            "value": card.incident_id,
            "text": {"type": "plain_text", "text": "Add identity"},
        },
    ]
    if not card.acknowledged:
        elements.insert(
            0,
            {
                "type": "button",
                "action_id": CARD_ACK,
                "value": card.incident_id,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Acknowledge command"},
            },
        )
    return {"type": "actions", "block_id": "bw.command", "elements": elements}


def _identities(card: Card) -> str:
    listed = "\n".join(
        f"• `{escape(key)}`" + (f" ({escape(card.state_of(key))})" if card.state_of(key) else "")
        for key in card.identities[:20]
    )
    more = len(card.identities) - 20
    return (
        "*Affected identities*\n"
        + (listed or "none yet")
        + (f"\n…and {more} more" if more > 0 else "")
    )


def _actions(card: Card) -> list[dict[str, Any]]:
    buttons = [_button(card, n, b) for n, b in enumerate(card.buttons)]
    return [
        {
            "type": "actions",
            "block_id": f"bw.actions.{i // MAX_ELEMENTS}",
            "elements": buttons[i : i + MAX_ELEMENTS],
        }
        for i in range(0, len(buttons), MAX_ELEMENTS)
    ]


def _button(card: Card, n: int, button: CardButton) -> dict[str, Any]:
    target = button.target_key.rsplit(":", 1)[-1]
    single = len(card.identities) > 1 and button.target_key != ALL_TARGETS
    text = f"{button.label}: {target}" if single else button.label
    element: dict[str, Any] = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{n}",
        "text": {"type": "plain_text", "text": text[:MAX_BUTTON_TEXT], "emoji": False},
        "value": encode_action(card.incident_id, button.action_id, button.target_key),
    }
    if button.danger:
        element["style"] = "danger"
    return element


def _outcome(outcome: CardOutcome) -> str:
    return (
        f"{mark(outcome.status)} {escape(outcome.action_id)} on "
        f"`{escape(target_text(outcome.target_key))}` by {mention(outcome.actor_principal)}: "
        f"{escape(outcome.summary)}"
    )[:3000]
