"""The Okta actions Blastwall offers, as catalogue entries."""

from __future__ import annotations

from bot.core.actions import ActionSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "okta"
SYSTEM = "okta"  # the identities' ``system`` these actions act on
SERVICE_APP_KINDS = frozenset(
    {IdentityKind.SERVICE_ACCOUNT, IdentityKind.AGENT, IdentityKind.WORKLOAD}
)

SUSPEND_USER = ActionSpec(
    id="okta.suspend_user",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /api/v1/users/{id}/lifecycle/suspend",
    title="Suspend user",
    target_kinds=frozenset({IdentityKind.USER}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.MEDIUM,
)

DEACTIVATE_USER = ActionSpec(
    id="okta.deactivate_user",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /api/v1/users/{id}/lifecycle/deactivate",
    title="Deactivate user",
    target_kinds=frozenset({IdentityKind.USER}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.CRITICAL,
)

CLEAR_USER_SESSIONS = ActionSpec(
    id="okta.clear_user_sessions",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE /api/v1/users/{id}/sessions?oauthTokens=true",
    title="End the user's sessions and tokens",
    target_kinds=frozenset({IdentityKind.USER}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.MEDIUM,
)

DEACTIVATE_APP = ActionSpec(
    id="okta.deactivate_app",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /api/v1/apps/{id}/lifecycle/deactivate",
    title="Deactivate service app",
    target_kinds=SERVICE_APP_KINDS,
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.HIGH,
)

REVOKE_APP_TOKENS = ActionSpec(
    id="okta.revoke_app_tokens",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE /api/v1/apps/{id}/tokens",
    title="Revoke the app's refresh tokens",
    target_kinds=SERVICE_APP_KINDS,
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
)

REVOKE_API_TOKEN = ActionSpec(
    id="okta.revoke_api_token",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE /api/v1/api-tokens/{id}",
    title="Revoke API token",
    target_kinds=frozenset({IdentityKind.TOKEN}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
)

SPECS: tuple[ActionSpec, ...] = (
    SUSPEND_USER,
    DEACTIVATE_USER,
    CLEAR_USER_SESSIONS,
    DEACTIVATE_APP,
    REVOKE_APP_TOKENS,
    REVOKE_API_TOKEN,
)
