"""The Slack actions Blastwall offers (the bot's own platform, when a Slack token leaks)."""

from __future__ import annotations

from bot.core.actions import ActionSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "slack_admin"
SYSTEM = "slack"  # the identities' ``system`` these actions act on

REVOKE_TOKEN = ActionSpec(
    id="slack.revoke_token",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="auth.revoke (called with the leaked token)",
    title="Revoke leaked Slack token",
    target_kinds=frozenset({IdentityKind.TOKEN}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
    follow_up=(
        "Slack issues no replacement through this call: the app's owner reinstalls the app "
        "(or re-authorises the user) to get a new token, stores it in the secret store and "
        "moves the workload to it"
    ),
)

RESET_USER_SESSIONS = ActionSpec(
    id="slack.reset_user_sessions",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="admin.users.session.reset (Enterprise Grid, admin token)",
    title="Sign the user out of every Slack session",
    target_kinds=frozenset({IdentityKind.USER}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.MEDIUM,
)

SPECS: tuple[ActionSpec, ...] = (REVOKE_TOKEN, RESET_USER_SESSIONS)
