"""The framework references an evidence entry carries (``details["frameworks"]``).

The playbook maps each step to NIST CSF 2.0, OWASP Agentic, CSA MAESTRO and
NIST AI RMF. The mapping travels with the evidence, not only with the playbook:
playbooks change after the incident, and an auditor reading the ledger (or the
post-incident review built from it) must see what each step was mapped to when
it ran. Action and approval entries carry the offered action's references;
status entries carry the playbook's.
"""

from __future__ import annotations

from bot.core.playbooks import FrameworkRefs
from bot.service.context import Services

FRAMEWORKS = "frameworks"


def action_frameworks(svc: Services, playbook: str, action_id: str) -> dict[str, object]:
    found = svc.playbooks.get(playbook)
    refs = found.action_frameworks(action_id) if found is not None else FrameworkRefs()
    return refs.as_record()


def playbook_frameworks(svc: Services, playbook: str) -> dict[str, object]:
    found = svc.playbooks.get(playbook)
    return (found.frameworks if found is not None else FrameworkRefs()).as_record()
