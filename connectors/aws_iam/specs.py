"""The AWS IAM actions Blastwall offers, as catalogue entries.

Kept apart from the connector so playbook validation can list them without
credentials or boto3 sessions.
"""

from __future__ import annotations

from bot.core.actions import ActionSpec, ParamSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "aws_iam"
SYSTEM = "aws"  # the identities' ``system`` these actions act on

DEACTIVATE_ACCESS_KEY = ActionSpec(
    id="aws.iam.deactivate_access_key",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="UpdateAccessKey(Status=Inactive)",
    title="Deactivate access key",
    target_kinds=frozenset({IdentityKind.ACCESS_KEY}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.MEDIUM,
    params=(
        ParamSpec(
            "confirm_false_positive",
            "undo only: re-enable a key that was never compromised",
            pattern="true|false",
        ),
    ),
)

DELETE_ACCESS_KEY = ActionSpec(
    id="aws.iam.delete_access_key",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DeleteAccessKey",
    title="Delete access key",
    target_kinds=frozenset({IdentityKind.ACCESS_KEY}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.CRITICAL,
)

KV_PATH = ParamSpec(
    "kv_path",
    "KV v2 path template the new secret is delivered to, e.g. secret/nhi/{owner}/{key}",
    required=True,
    pattern=r"[A-Za-z0-9_./{}-]{1,200}",
    template=True,
)

ROTATE_ACCESS_KEY = ActionSpec(
    id="aws.iam.rotate_access_key",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="CreateAccessKey, KV v2 write + read-back, UpdateAccessKey(old, Inactive)",
    title="Rotate access key",
    target_kinds=frozenset({IdentityKind.ACCESS_KEY}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
    params=(KV_PATH,),
    identity_state="rotated",
)

DELETE_INACTIVE_ACCESS_KEY = ActionSpec(
    id="aws.iam.delete_inactive_access_key",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DeleteAccessKey(the owner's other, inactive key)",
    title="Delete the owner's inactive access key",
    target_kinds=frozenset({IdentityKind.ACCESS_KEY}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.MEDIUM,
)

REMOVE_CONSOLE_LOGIN = ActionSpec(
    id="aws.iam.remove_console_login",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DeleteLoginProfile",
    title="Remove console login",
    target_kinds=frozenset({IdentityKind.USER, IdentityKind.SERVICE_ACCOUNT}),
    right=Right.IAM_POLICY,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
)

BLOCK_ROLE_ASSUMPTION = ActionSpec(
    id="aws.iam.block_role_assumption",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="UpdateAssumeRolePolicy(deny all)",
    title="Block new role assumption",
    target_kinds=frozenset({IdentityKind.ROLE, IdentityKind.AGENT}),
    right=Right.IAM_POLICY,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
)

QUARANTINE_PRINCIPAL = ActionSpec(
    id="aws.iam.quarantine_principal",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="PutUserPolicy/PutRolePolicy(deny-all)",
    title="Quarantine with an inline deny-all policy",
    # An access key target quarantines the IAM user that owns the key.
    target_kinds=frozenset(
        {
            IdentityKind.USER,
            IdentityKind.ROLE,
            IdentityKind.SERVICE_ACCOUNT,
            IdentityKind.AGENT,
            IdentityKind.ACCESS_KEY,
        }
    ),
    right=Right.IAM_POLICY,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
)

REVOKE_ROLE_SESSIONS = ActionSpec(
    id="aws.iam.revoke_role_sessions",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="PutRolePolicy(deny aws:TokenIssueTime < now)",
    title="Revoke the role's active sessions",
    target_kinds=frozenset({IdentityKind.ROLE, IdentityKind.AGENT}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.EXPIRES,
    risk=RiskTier.HIGH,
)

SPECS: tuple[ActionSpec, ...] = (
    DEACTIVATE_ACCESS_KEY,
    DELETE_ACCESS_KEY,
    QUARANTINE_PRINCIPAL,
    REVOKE_ROLE_SESSIONS,
    REMOVE_CONSOLE_LOGIN,
    BLOCK_ROLE_ASSUMPTION,
    ROTATE_ACCESS_KEY,
    DELETE_INACTIVE_ACCESS_KEY,
)
