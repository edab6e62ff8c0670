"""Every action every connector offers, by id. Playbooks may only offer these."""

from __future__ import annotations

from bot.core.actions import ActionSpec
from connectors.aws_iam.specs import SPECS as AWS_IAM
from connectors.github.specs import SPECS as GITHUB
from connectors.vault.specs import SPECS as VAULT


def all_specs() -> dict[str, ActionSpec]:
    return {spec.id: spec for spec in (*AWS_IAM, *VAULT, *GITHUB)}
