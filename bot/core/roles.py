"""Rights and the incident commander's chain of command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.actors import Actor


class Right(StrEnum):
    IR_CONTAINMENT = "ir.containment"
    IAM_POLICY = "iam.policy"
    PAM_SESSION = "pam.session"
    NHI_CREDENTIAL_LIFECYCLE = "nhi.credential-lifecycle"
    APPROVE = "approve"
    AUDIT = "audit"


@dataclass(frozen=True)
class CommanderTerm:
    """One stretch of command. The open term (``handed_over_at is None``) is the commander."""

    actor: Actor
    assumed_at: datetime
    handed_over_at: datetime | None = None


class CommandError(Exception):
    """A change to the chain of command that would leave zero or two commanders."""


def hand_over(terms: list[CommanderTerm], to: Actor, at: datetime) -> list[CommanderTerm]:
    """Close the open term and open one for ``to`` at the same instant.

    Both happen in one step so there is never a moment with no commander or two.
    """
    open_terms = [t for t in terms if t.handed_over_at is None]
    if len(open_terms) > 1:
        raise CommandError("more than one open commander term")
    if open_terms and open_terms[0].actor == to:
        raise CommandError(f"{to.principal} is already the commander")
    closed = [
        CommanderTerm(t.actor, t.assumed_at, at) if t.handed_over_at is None else t for t in terms
    ]
    return [*closed, CommanderTerm(actor=to, assumed_at=at)]
