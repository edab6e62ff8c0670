"""Google resource names from an affected identity.

A key is named in full (``projects/P/serviceAccounts/EMAIL/keys/KEY``) or by its
id with a ``service_account`` attribute; a service account by its email (or its
full name). The project is the ``project`` attribute, else the one in the
account's email (``NAME@PROJECT.iam.gserviceaccount.com``), else ``-``, which
Google resolves from the account (at the price of 403s instead of 404s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure

_KEY = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)/keys/([A-Za-z0-9]+)$")
_ACCOUNT = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@([a-z0-9-]+)\.iam\.gserviceaccount\.com$")
_PLAIN = re.compile(r"^[A-Za-z0-9._%+@-]{1,200}$")
PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


@dataclass(frozen=True)
class Account:
    project: str
    email: str

    @property
    def name(self) -> str:
        return f"projects/{self.project}/serviceAccounts/{self.email}"

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.email}"


@dataclass(frozen=True)
class Key:
    account: Account
    key_id: str

    @property
    def name(self) -> str:
        return f"{self.account.name}/keys/{self.key_id}"


def account_of(target: AffectedIdentity) -> Account:
    found = _ACCOUNT.match(target.external_id)
    if found:
        return Account(found.group(1), found.group(2))
    return _account(target, target.external_id)


def key_of(target: AffectedIdentity) -> Key:
    found = _KEY.match(target.external_id)
    if found:
        return Key(Account(found.group(1), found.group(2)), found.group(3))
    email = target.attribute("service_account")
    if not email or not re.fullmatch(r"[A-Za-z0-9]{1,100}", target.external_id):
        raise ConnectorFailure(
            "invalid_target",
            f"{target.key}: name the key in full (projects/P/serviceAccounts/EMAIL/keys/KEY) "
            "or give its id with a service_account attribute",
        )
    return Key(_account(target, email), target.external_id)


def project_of(target: AffectedIdentity, params: dict[str, str]) -> str:
    """The project whose policy a binding is removed from: the parameter, else the account's."""
    project = params.get("project") or account_of(target).project
    if not PROJECT.match(project):
        raise ConnectorFailure("invalid_target", f"{target.key}: no project id to act on")
    return project


def _account(target: AffectedIdentity, email: str) -> Account:
    if not _PLAIN.match(email) or "@" not in email:
        raise ConnectorFailure("invalid_target", f"{target.key}: not a service account email")
    home = _EMAIL.match(email)
    project = target.attribute("project") or (home.group(1) if home else "-")
    if project != "-" and not PROJECT.match(project):
        raise ConnectorFailure("invalid_target", f"{target.key}: not a project id: {project!r}")
    return Account(project, email)
