"""The Vault / OpenBao actions Blastwall offers."""

from __future__ import annotations

from bot.core.actions import ActionSpec, ParamSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "vault"
SYSTEM = "vault"  # the identities' ``system`` these actions act on

REVOKE_TOKEN = ActionSpec(
    id="vault.revoke_token_accessor",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="auth/token/revoke-accessor",
    title="Revoke token (by accessor)",
    target_kinds=frozenset({IdentityKind.TOKEN}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
)

REVOKE_LEASES = ActionSpec(
    id="vault.revoke_lease_prefix",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="sys/leases/revoke-prefix",
    title="Revoke every lease under a prefix",
    target_kinds=frozenset({IdentityKind.SECRET}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.CRITICAL,
)

DISABLE_ENTITY = ActionSpec(
    id="vault.disable_entity",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="identity/entity/id (disabled=true)",
    title="Disable identity entity",
    target_kinds=frozenset(
        {IdentityKind.SERVICE_ACCOUNT, IdentityKind.AGENT, IdentityKind.WORKLOAD}
    ),
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.HIGH,
)

DESTROY_SECRET_ID = ActionSpec(
    id="vault.destroy_approle_secret_id",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="auth/approle/role/:role/secret-id-accessor/destroy",
    title="Destroy AppRole secret-id",
    target_kinds=frozenset({IdentityKind.SECRET}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
)

ROTATE_SECRET_ID = ActionSpec(
    id="vault.rotate_approle_secret_id",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="auth/approle/role/:role/secret-id, KV v2 write + read-back, destroy old by accessor",
    title="Rotate AppRole secret-id",
    target_kinds=frozenset({IdentityKind.SECRET}),
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
    params=(
        ParamSpec(
            "kv_path",
            "KV v2 path template the new secret-id is delivered to, e.g. secret/nhi/{owner}/{key}",
            required=True,
            pattern=r"[A-Za-z0-9_./{}-]{1,200}",
            template=True,
        ),
    ),
    identity_state="rotated",
)

SPECS: tuple[ActionSpec, ...] = (
    REVOKE_TOKEN,
    REVOKE_LEASES,
    DISABLE_ENTITY,
    DESTROY_SECRET_ID,
    ROTATE_SECRET_ID,
)
