"""The CyberArk actions Blastwall offers: all owned by ``pam.session``, so the PAM team
holds them and incident response does not, unless a playbook grants it."""

from __future__ import annotations

from bot.core.actions import ActionSpec, Reversibility, RiskTier
from bot.core.identities import IdentityKind
from bot.core.roles import Right

CONNECTOR = "cyberark"
SYSTEM = CONNECTOR  # the identities' ``system`` these actions act on

# A privileged account (matched on the session's AccountUsername, and AccountAddress
# when the identity carries an ``address`` attribute), or the Vault user (a person or
# an agent) who opened the sessions (matched on the session's User).
TARGET_KINDS = frozenset({IdentityKind.SERVICE_ACCOUNT, IdentityKind.USER, IdentityKind.AGENT})

TERMINATE_SESSIONS = ActionSpec(
    id="cyberark.terminate_live_sessions",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /PasswordVault/API/LiveSessions/{id}/Terminate (each live session)",
    title="Terminate every live privileged session",
    target_kinds=TARGET_KINDS,
    right=Right.PAM_SESSION,
    reversibility=Reversibility.IRREVERSIBLE,
    risk=RiskTier.HIGH,
)

SUSPEND_SESSIONS = ActionSpec(
    id="cyberark.suspend_live_sessions",
    connector=CONNECTOR,
    system=SYSTEM,
    operation="POST /PasswordVault/API/LiveSessions/{id}/Suspend (each live session)",
    title="Suspend every live privileged session",
    target_kinds=TARGET_KINDS,
    right=Right.PAM_SESSION,
    reversibility=Reversibility.TOGGLE,
    risk=RiskTier.MEDIUM,
)

SPECS: tuple[ActionSpec, ...] = (TERMINATE_SESSIONS, SUSPEND_SESSIONS)
