"""The GitHub actions Blastwall offers."""

from __future__ import annotations

from bot.core.actions import ActionSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "github"
SYSTEM = "github"  # the identities' ``system`` these actions act on

REVOKE_CREDENTIAL = ActionSpec(
    id="github.revoke_credential",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /credentials/revoke",
    title="Revoke leaked token",
    target_kinds=frozenset({IdentityKind.TOKEN}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
    follow_up=(
        "GitHub issues no replacement through its API: the token's owner creates a new "
        "one, stores it in the secret store and moves the workload to it"
    ),
)

SUSPEND_INSTALLATION = ActionSpec(
    id="github.suspend_installation",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="PUT /app/installations/{id}/suspended",
    title="Suspend app installation",
    target_kinds=frozenset({IdentityKind.APP_INSTALLATION}),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.HIGH,
    follow_up=(
        "rotate the GitHub App's private key by hand (GitHub offers no API for it): "
        "the app's settings, Private keys, Generate a private key; deploy the new key, "
        "then delete the old one there"
    ),
)

REVOKE_PAT_ORG_ACCESS = ActionSpec(
    id="github.revoke_pat_org_access",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /orgs/{org}/personal-access-tokens/{pat_id}",
    title="Revoke a fine-grained token's access to the organisation",
    target_kinds=frozenset({IdentityKind.TOKEN}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.MEDIUM,
)

SPECS: tuple[ActionSpec, ...] = (REVOKE_CREDENTIAL, SUSPEND_INSTALLATION, REVOKE_PAT_ORG_ACCESS)
