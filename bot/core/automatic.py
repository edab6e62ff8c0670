"""Automatic containment's guard rails, as pure rules over what one alert said.

A rule that fires on an alert runs its action without a click; these say when it
must not, and why, so a person decides instead. The reasons are recorded in the
ledger and said in the incident's room.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.actions import ActionSpec
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Environment, Incident, Severity
from bot.core.playbooks import AutomaticRule, OfferedAction, Playbook

SWITCHED_OFF = "automatic containment is switched off (BLASTWALL_AUTOMATIC=off)"


@dataclass(frozen=True)
class AlertFacts:
    """What the alert that declared or joined the incident said about itself."""

    source: str
    severity: Severity
    environment: Environment | None


@dataclass(frozen=True)
class Candidate:
    """One automatic rule that fired on one identity of the alert."""

    offered: OfferedAction
    rule: AutomaticRule
    spec: ActionSpec
    identity: AffectedIdentity

    @property
    def rule_name(self) -> str:
        return f"automatic {self.offered.action_id}"


def rule_record(rule: AutomaticRule) -> dict[str, object]:
    """The rule as the ledger shows it: what fired, and within which limits."""
    when = rule.when
    return {
        "when": {
            "severity_at_least": when.severity_at_least.value,
            "sources": sorted(when.sources),
            "identity_kinds": sorted(k.value for k in when.identity_kinds),
            "systems": sorted(when.systems),
        },
        "max_targets": rule.max_targets,
        "environments": sorted(e.value for e in rule.environments),
        "unless_shared_with_humans": rule.unless_shared_with_humans,
    }


def withheld_because(
    candidate: Candidate,
    playbook: Playbook,
    incident: Incident,
    alert: AlertFacts,
    contained: frozenset[str],
) -> str | None:
    """Why this rule must not act on this identity now; None when it may.

    ``contained`` holds the identities automatic containment already acted on in this
    incident: one already counted does not count again against ``max_targets``.
    """
    rule, identity = candidate.rule, candidate.identity
    if not playbook.automatic_enabled:
        return f"playbook {playbook.name} has automatic containment switched off"
    for environment in {incident.environment, alert.environment or incident.environment}:
        if environment not in rule.environments:
            return f"{environment.value} is not an environment this rule acts in"
    if rule.unless_shared_with_humans and identity.shared_with_humans:
        return f"{identity.key} is shared with humans: a person decides"
    if playbook.approval_for(candidate.spec, identity, incident.environment) is not None:
        return f"{candidate.spec.id} needs approval here: a person requests it"
    if identity.key not in contained and len(contained) >= rule.max_targets:
        return (
            f"{len(contained)} identities of {incident.id} were already contained "
            f"automatically (max_targets {rule.max_targets})"
        )
    return None
