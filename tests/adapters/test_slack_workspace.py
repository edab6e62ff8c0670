"""Which payloads a pinned workspace / organisation accepts (every id must match)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.slack.workspace import Workspace

TEAM, ORG = "T0HOME", "E0HOME"

CLICK: dict[str, Any] = {
    "type": "block_actions",
    "team": {"id": TEAM},
    "user": {"id": "U1", "team_id": TEAM},
    "enterprise": {"id": ORG},
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**CLICK, **changes}


CASES = [
    (Workspace(TEAM, None), CLICK, None),
    (Workspace(TEAM, None), _with(team={"id": "T0OTHER"}), "T0OTHER"),
    (Workspace(TEAM, None), _with(user={"id": "U1", "team_id": "T0GUEST"}), "T0GUEST"),
    (Workspace(TEAM, None), {"type": "block_actions", "user": {"id": "U1"}}, "names no"),
    (Workspace(TEAM, None), {"type": "url_verification", "challenge": "x"}, None),
    (Workspace(None, ORG), CLICK, None),
    (Workspace(None, ORG), _with(enterprise={"id": "E0OTHER"}), "E0OTHER"),
    (Workspace(None, ORG), _with(enterprise=None), "names no organisation"),
    (Workspace(TEAM, ORG), _with(team={"id": None}, user={"id": "U1"}), None),  # org-wide app
    (Workspace(TEAM, ORG), {"team_id": TEAM, "enterprise_id": "E0OTHER"}, "E0OTHER"),
    (Workspace(None, None), _with(team={"id": "T0ANY"}), None),
]


@pytest.mark.parametrize(("workspace", "body", "refused"), CASES)
def test_every_id_a_payload_carries_must_match(
    workspace: Workspace, body: dict[str, Any], refused: str | None
) -> None:
    reason = workspace.refusal(body)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason
