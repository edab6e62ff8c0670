"""The Microsoft Entra ID actions Blastwall offers, as catalogue entries."""

from __future__ import annotations

from bot.core.actions import ActionSpec, ParamSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "entra"
SYSTEM = "entra"  # the identities' ``system`` these actions act on

DISABLE_SERVICE_PRINCIPAL = ActionSpec(
    id="entra.disable_service_principal",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="PATCH /servicePrincipals/{id} (accountEnabled=false)",
    title="Disable service principal",
    target_kinds=frozenset(
        {IdentityKind.SERVICE_ACCOUNT, IdentityKind.AGENT, IdentityKind.WORKLOAD}
    ),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.HIGH,
    params=(
        ParamSpec(
            "confirm_false_positive",
            "undo only: re-enable while the credentials it had are still valid",
            pattern="true|false",
        ),
    ),
)

REMOVE_CLIENT_SECRET = ActionSpec(
    id="entra.remove_client_secret",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /applications/{id}/removePassword",
    title="Remove client secret",
    target_kinds=frozenset({IdentityKind.SECRET}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
)

REVOKE_USER_SESSIONS = ActionSpec(
    id="entra.revoke_user_sessions",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /users/{id}/revokeSignInSessions",
    title="Revoke the user's sign-in sessions",
    target_kinds=frozenset({IdentityKind.USER}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.MEDIUM,
)

REMOVE_APP_ROLE_ASSIGNMENT = ActionSpec(
    id="entra.remove_app_role_assignment",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE /servicePrincipals/{resource}/appRoleAssignedTo/{id}",
    title="Remove app-role assignment",
    target_kinds=frozenset({IdentityKind.ROLE}),
    right=Right.IAM_POLICY,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
)

REMOVE_OAUTH2_GRANT = ActionSpec(
    id="entra.remove_oauth2_grant",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE /oauth2PermissionGrants/{id}",
    title="Remove delegated permission grant",
    target_kinds=frozenset({IdentityKind.ROLE}),
    right=Right.IAM_POLICY,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
)

SPECS: tuple[ActionSpec, ...] = (
    DISABLE_SERVICE_PRINCIPAL,
    REMOVE_CLIENT_SECRET,
    REVOKE_USER_SESSIONS,
    REMOVE_APP_ROLE_ASSIGNMENT,
    REMOVE_OAUTH2_GRANT,
)
