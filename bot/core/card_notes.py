"""What approvers must read before they decide: who a shared account locks out, and
which steps a vendor executes while accountability stays here.

Pure: the service passes in the vendor steps' states it read from the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident
from bot.core.playbooks import Playbook

USED_BY = "used_by"  # alert attribute: people known to use the identity, comma-separated
ACCOUNTABLE = (
    "Accountability stays internal: the commander and approvers here answer for every "
    "step, the vendor's included."
)


def shared_users(identity: AffectedIdentity, playbook: Playbook) -> tuple[str, ...]:
    """People known to use a shared account: from the alert, then the playbook."""
    from_alert = [p.strip() for p in (identity.attribute(USED_BY) or "").split(",")]
    known = [*from_alert, *playbook.known_users.get(identity.key, ())]
    return tuple(dict.fromkeys(p for p in known if p))


def lockout_line(identity: AffectedIdentity, playbook: Playbook) -> str | None:
    if not identity.shared_with_humans:
        return None
    people = shared_users(identity, playbook)
    who = ", ".join(people) if people else "nobody is on record; ask its owner"
    return f"{identity.key} is shared with people. Containing it locks out: {who}."


def card_notes(
    incident: Incident, playbook: Playbook, vendor_states: Mapping[str, str]
) -> tuple[str, ...]:
    notes = [line for i in incident.identities if (line := lockout_line(i, playbook))]
    managed = [i.key for i in incident.identities if i.vendor_managed]
    if not managed:
        return tuple(notes)
    vendor = playbook.vendor
    if vendor is None:
        notes.append(f"Vendor-managed: {', '.join(managed)}; the playbook names no vendor.")
        return (*notes, ACCOUNTABLE)
    notes.append(f"Vendor-managed by {vendor.name} ({vendor.contact}): {', '.join(managed)}.")
    notes += [
        f"Vendor step {s.id} ({s.label}): {vendor_states.get(s.id, 'not requested yet')}."
        for s in vendor.steps
    ]
    return (*notes, ACCOUNTABLE)
