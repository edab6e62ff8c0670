"""The Google Cloud IAM actions Blastwall offers, as catalogue entries.

Rights follow the containment notes: reversible toggles are ``ir.containment``,
destroying a credential is ``nhi.credential-lifecycle``, changing who holds a
role is ``iam.policy``.
"""

from __future__ import annotations

from bot.core.actions import ActionSpec, ParamSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "gcp_iam"
SYSTEM = "gcp"  # the identities' ``system`` these actions act on

CONFIRM_FALSE_POSITIVE = ParamSpec(
    "confirm_false_positive",
    "undo only: re-enable what was never compromised, skipping the safety checks",
    pattern="true|false",
)

DISABLE_KEY = ActionSpec(
    id="gcp.iam.disable_key",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST v1/projects/*/serviceAccounts/*/keys/*:disable",
    title="Disable service account key",
    target_kinds=frozenset({IdentityKind.ACCESS_KEY}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.MEDIUM,
    params=(CONFIRM_FALSE_POSITIVE,),
)

DELETE_KEY = ActionSpec(
    id="gcp.iam.delete_key",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE v1/projects/*/serviceAccounts/*/keys/*",
    title="Delete service account key",
    target_kinds=frozenset({IdentityKind.ACCESS_KEY}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.CRITICAL,
    follow_up=(
        "the workload needs a new credential: create a key for the service account (or "
        "move the workload to workload identity federation) and deliver it through the "
        "secret store"
    ),
)

DISABLE_SERVICE_ACCOUNT = ActionSpec(
    id="gcp.iam.disable_service_account",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST v1/projects/*/serviceAccounts/*:disable",
    title="Disable service account",
    target_kinds=frozenset({IdentityKind.SERVICE_ACCOUNT, IdentityKind.AGENT}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.HIGH,
    params=(CONFIRM_FALSE_POSITIVE,),
)

REMOVE_PROJECT_BINDING = ActionSpec(
    id="gcp.iam.remove_project_binding",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="v3/projects/*:getIamPolicy, :setIamPolicy (etag-guarded, member removed)",
    title="Remove the account's project role bindings",
    target_kinds=frozenset({IdentityKind.SERVICE_ACCOUNT, IdentityKind.AGENT}),
    right=Right.IAM_POLICY,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
    params=(
        ParamSpec(
            "role",
            "the role to remove the account from (absent: every role it holds on the project)",
            pattern=r"(roles|projects/[a-z0-9-]+/roles|organizations/[0-9]+/roles)/[A-Za-z0-9_.]{1,100}",
        ),
        ParamSpec(
            "project",
            "the project whose policy changes (absent: the identity's project attribute, "
            "else the account's own project)",
            pattern=r"[a-z][a-z0-9-]{4,28}[a-z0-9]",
        ),
        CONFIRM_FALSE_POSITIVE,
    ),
)

SPECS: tuple[ActionSpec, ...] = (
    DISABLE_KEY,
    DELETE_KEY,
    DISABLE_SERVICE_ACCOUNT,
    REMOVE_PROJECT_BINDING,
)
