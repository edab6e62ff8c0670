"""Which playbook takes an alert, or a person's declaration."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.identities import IdentityKind
from bot.core.incidents import Environment, Severity
from bot.core.playbooks import Playbook


def _specificity(playbook: Playbook) -> int:
    trigger = playbook.trigger
    return sum(
        bool(s) for s in (trigger.sources, trigger.systems, trigger.kinds, trigger.environments)
    )


def select_playbook(
    playbooks: Mapping[str, Playbook],
    source: str,
    system: str,
    kind: IdentityKind,
    severity: Severity,
    environment: Environment = Environment.PRODUCTION,
) -> Playbook | None:
    """The most specific matching trigger wins; ties go to the name, for determinism.
    A trigger naming the incident's environment is more specific than one that does
    not, so a non-production alert lands in a non-production playbook when one matches."""
    matching = [
        p
        for p in playbooks.values()
        if p.trigger.matches(source, system, kind, severity, environment)
    ]
    if not matching:
        return None
    return sorted(matching, key=lambda p: (-_specificity(p), p.name))[0]


def manual_playbook(playbooks: Mapping[str, Playbook]) -> Playbook | None:
    allowed = sorted((p for p in playbooks.values() if p.trigger.manual), key=lambda p: p.name)
    return allowed[0] if allowed else None
