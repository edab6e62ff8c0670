"""The Kubernetes actions Blastwall offers, as catalogue entries.

Targets are named ``namespace/name``: a service account (``service_account``,
``agent``) or a Deployment (``workload``; for an ``agent``, the identity's
``workload`` field names its Deployment, ``name`` or ``namespace/name``).
"""

from __future__ import annotations

from bot.core.actions import ActionSpec, ParamSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "kubernetes"
SYSTEM = "kubernetes"  # the identities' ``system`` these actions act on

_ACCOUNTS = frozenset({IdentityKind.SERVICE_ACCOUNT, IdentityKind.AGENT})
_WORKLOADS = frozenset({IdentityKind.WORKLOAD, IdentityKind.AGENT})

INVALIDATE_CREDENTIALS = ActionSpec(
    id="kubernetes.invalidate_service_account_credentials",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE legacy token Secrets; DELETE and re-create the ServiceAccount",
    title="Invalidate service account credentials",
    target_kinds=_ACCOUNTS,
    right=Right.NHI_CREDENTIAL_LIFECYCLE,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
    description=(
        "Deletes the account's legacy token Secrets (type kubernetes.io/service-account-token), "
        "then deletes the ServiceAccount and re-creates it from its snapshot. Bound (projected) "
        "tokens cannot be revoked one by one: the API server rejects them once the account's "
        "UID changes, which is what the re-creation does. Running pods ask for new tokens for "
        "the re-created account, and RBAC binds by name, so the new account keeps the old "
        "bindings: scale the workload down or remove the bindings as well."
    ),
)

QUARANTINE_WORKLOAD = ActionSpec(
    id="kubernetes.quarantine_workload",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="PATCH Deployment labels; POST a deny-all NetworkPolicy",
    title="Quarantine workload (deny-all network policy)",
    target_kinds=_WORKLOADS,
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
    description=(
        "Labels the Deployment and its pod template blastwall.io/quarantine=<name> and creates "
        "the NetworkPolicy blastwall-quarantine-<name> selecting that label, with Ingress and "
        "Egress and no rules. Pods carry the label as the Deployment rolls them out. "
        "NetworkPolicies add up: another policy that allows traffic to these pods still does; "
        "only an AdminNetworkPolicy or the CNI can deny over it. Undo removes both."
    ),
)

SCALE_TO_ZERO = ActionSpec(
    id="kubernetes.scale_to_zero",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="PATCH deployments/{name}/scale (spec.replicas=0)",
    title="Scale workload to zero",
    target_kinds=_WORKLOADS,
    right=Right.IR_CONTAINMENT,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
    description=(
        "Sets the Deployment's replicas to 0 through the scale subresource; a concurrent "
        "change is re-read and retried within a bound. Undo restores the replica count "
        "from the snapshot."
    ),
)

REMOVE_ROLE_BINDINGS = ActionSpec(
    id="kubernetes.remove_role_bindings",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="DELETE rolebindings / clusterrolebindings naming the service account",
    title="Remove the service account's role bindings",
    target_kinds=_ACCOUNTS,
    right=Right.IAM_POLICY,
    reversibility=Reversibility.RESTORE_FROM_SNAPSHOT,
    risk=RiskTier.HIGH,
    params=(
        ParamSpec(
            "binding",
            "only this binding: RoleBinding/NAMESPACE/NAME or ClusterRoleBinding/NAME",
            pattern=r"RoleBinding/[a-z0-9-]{1,63}/[a-z0-9:.-]{1,253}|ClusterRoleBinding/[a-z0-9:.-]{1,253}",
        ),
    ),
    description=(
        "Deletes every RoleBinding (any namespace) and ClusterRoleBinding naming the "
        "service account as a subject, or only the one given, snapshotting each. A binding "
        "shared with other subjects removes their access too; the plan lists them. Undo "
        "re-creates the bindings from the snapshot."
    ),
)

SPECS: tuple[ActionSpec, ...] = (
    INVALIDATE_CREDENTIALS,
    QUARANTINE_WORKLOAD,
    SCALE_TO_ZERO,
    REMOVE_ROLE_BINDINGS,
)
