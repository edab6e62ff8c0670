"""Who did something: a verified user id on one platform, or Blastwall itself."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """A person as the platform verified them (never a display name we were told).

    ``principal`` is the form playbooks grant rights to, e.g. ``slack:U012AB3CD``.
    Identity is (platform, user id) alone: ``display`` is a label for people to
    read, takes no part in equality or hashing, and so can never grant or deny
    anything. A commander renamed in Slack, or signed in to the console under
    another label, is still the commander.
    """

    platform: str
    user_id: str
    display: str = field(default="", compare=False)

    @property
    def principal(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @classmethod
    def parse(cls, principal: str) -> Actor:
        platform, sep, user_id = principal.partition(":")
        if not sep or not platform or not user_id:
            raise ValueError(f"not a principal (platform:user_id): {principal!r}")
        return cls(platform=platform, user_id=user_id)


SYSTEM = Actor(platform="blastwall", user_id="system", display="Blastwall")
AUTOMATIC = Actor(platform="blastwall", user_id="automatic", display="Blastwall (automatic)")
"""Who runs a playbook's automatic containment: never a person, so no door can claim it
(doors name ``slack:``, ``teams:``, ``console:`` or ``alert:`` actors only)."""
