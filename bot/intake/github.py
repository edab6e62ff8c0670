"""GitHub's ``secret_scanning_alert`` webhook, as an alert.

GitHub signs the raw body: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 hex>``
with the webhook's secret (BLASTWALL_GITHUB_WEBHOOK_SECRET). Nothing is read
before that signature is checked.

``created`` and ``reopened`` declare (or join) an incident; ``resolved`` is only
recorded on the open incident about the secret. Other actions are acknowledged
and ignored.

The secret type names the identity:

| ``secret_type``                                   | identity                      |
|---------------------------------------------------|-------------------------------|
| ``aws_access_key_id``, ``aws_temporary_access_key_id`` | ``aws/access_key``, id = the key id |
| ``aws_secret_access_key``                         | ``aws/secret``                |
| ``aws_session_token``                             | ``aws/token``                 |
| ``github_*`` tokens (personal, fine-grained, OAuth, app, refresh) | ``github/token`` |
| ``github_ssh_private_key``                        | ``github/secret``             |
| ``slack_*`` (API tokens, webhook URLs)            | ``slack/token``               |
| ``google_cloud_private_key_id``, ``google_api_key``, ``google_oauth_*`` | ``gcp/secret`` |
| ``azure_*``                                       | ``azure/secret``              |
| ``hashicorp_vault_*``                             | ``vault/token``               |
| ``openai_api_key``, ``anthropic_*``               | ``openai``/``anthropic`` ``/token`` |
| anything else                                     | ``<provider>/secret``         |

Only the AWS key id is a name; for every other type the id is the keyed hash
of the value (``sha:<hash>``), since the value itself is the only handle. The
value (``alert.secret``, present when GitHub or a relay includes it) is sealed
at once and hashed for matching; it is never stored in the clear. GitHub's
webhook does not carry it, so when the GitHub App is configured the door reads
the alert from the REST API (``GET /repos/{owner}/{repo}/secret-scanning/alerts/
{number}``, as the webhook's installation) and takes its ``secret`` and
``secret_type``. Without a value (no App, or that read failed: the details say
which), the id is the alert (``<repo>#<number>``).

GitHub grades nothing, so an alert is SEV2 (high), SEV1 when GitHub says the
secret was publicly leaked.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.core.identities import IdentityKind
from bot.core.incidents import Severity
from bot.core.ports import AlertLookupFailed, SecretAlertLookup
from bot.intake.alert import Alert, AlertIdentity, Keys

SOURCE = "github-secret-scanning"
DECLARING = frozenset({"created", "reopened"})
RESOLVED = "resolved"
LOOKUP_TIMEOUT_S = 8.0  # GitHub gives up on a webhook after 10 s
_PREFIXES: tuple[tuple[str, str, IdentityKind], ...] = (
    ("aws_access_key_id", "aws", IdentityKind.ACCESS_KEY),
    ("aws_temporary_access_key_id", "aws", IdentityKind.ACCESS_KEY),
    ("aws_secret_access_key", "aws", IdentityKind.SECRET),
    ("aws_session_token", "aws", IdentityKind.TOKEN),
    ("github_ssh_private_key", "github", IdentityKind.SECRET),
    ("github_", "github", IdentityKind.TOKEN),
    ("slack_", "slack", IdentityKind.TOKEN),
    ("google_", "gcp", IdentityKind.SECRET),
    ("azure_", "azure", IdentityKind.SECRET),
    ("hashicorp_vault_", "vault", IdentityKind.TOKEN),
    ("openai_", "openai", IdentityKind.TOKEN),
    ("anthropic_", "anthropic", IdentityKind.TOKEN),
)
_NAMED_BY_VALUE = frozenset({"aws_access_key_id", "aws_temporary_access_key_id"})
_KEEP = {
    "repository": ("id", "full_name", "html_url", "private"),
    "organization": ("id", "login"),
    "sender": ("id", "login", "type"),
    "installation": ("id",),
    "enterprise": ("id", "slug"),
}


class SecretScanningAlert(BaseModel):
    model_config = ConfigDict(extra="allow")

    number: int
    secret_type: str = Field(min_length=1, max_length=200)
    secret_type_display_name: str | None = None
    secret: str | None = Field(default=None, max_length=10_000)
    html_url: str | None = None
    validity: str | None = None
    publicly_leaked: bool | None = None
    resolution: str | None = None


class Repository(BaseModel):
    model_config = ConfigDict(extra="allow")

    full_name: str = Field(min_length=1, max_length=200)


class SecretScanningWebhook(BaseModel):
    """The documented payload; fields Blastwall does not read are kept as details."""

    model_config = ConfigDict(extra="allow")

    action: str = Field(min_length=1, max_length=64)
    alert: SecretScanningAlert
    repository: Repository


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time comparison of ``sha256=<hex>`` against our own HMAC of the body."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (header or "").encode())


def identity_for(secret_type: str, provider: str | None) -> tuple[str, IdentityKind]:
    for prefix, system, kind in _PREFIXES:
        if secret_type == prefix or (prefix.endswith("_") and secret_type.startswith(prefix)):
            return system, kind
    name = provider or secret_type.split("_", 1)[0]
    return re.sub(r"[^a-z0-9_.-]", "-", name.lower()) or "unknown", IdentityKind.SECRET


async def with_secret(
    hook: SecretScanningWebhook, lookup: SecretAlertLookup | None
) -> tuple[SecretScanningWebhook, dict[str, str] | None]:
    """The webhook completed with the alert's value read from the REST API, and what
    that read did (None: not attempted). A failed read leaves the webhook as it was:
    the alert is still taken, identified by its number."""
    if hook.alert.secret or lookup is None:
        return hook, None
    repo, number = hook.repository.full_name, hook.alert.number
    try:
        async with asyncio.timeout(LOOKUP_TIMEOUT_S):
            fetched = await lookup(repo, number, _installation(hook))
        secret, secret_type = fetched.get("secret"), fetched.get("secret_type")
        if not isinstance(secret, str) or not 0 < len(secret) <= 10_000:
            raise AlertLookupFailed("the REST answer carries no secret")
    except Exception as exc:  # whatever happened, GitHub gets its 202
        reason = str(exc) if isinstance(exc, AlertLookupFailed) else type(exc).__name__
        return hook, {"outcome": "failed", "reason": reason[:300], "identified_by": "alert"}
    update: dict[str, str] = {"secret": secret}
    if isinstance(secret_type, str) and 0 < len(secret_type) <= 200:
        update["secret_type"] = secret_type
    alert = hook.alert.model_copy(update=update)
    read = f"GET /repos/{repo}/secret-scanning/alerts/{number}"
    return hook.model_copy(update={"alert": alert}), {"outcome": "read", "from": read}


def _installation(hook: SecretScanningWebhook) -> int | None:
    installation = (hook.model_extra or {}).get("installation")
    found = installation.get("id") if isinstance(installation, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def to_alert(
    hook: SecretScanningWebhook,
    keys: Keys,
    delivery: str | None,
    lookup: dict[str, str] | None = None,
) -> Alert:
    found = hook.alert
    extra = found.model_extra or {}
    provider = extra.get("provider_slug") if isinstance(extra.get("provider_slug"), str) else None
    system, kind = identity_for(found.secret_type, provider)
    repo = hook.repository.full_name
    attributes = {"repository": repo, "secret_type": found.secret_type}
    if found.secret:
        attributes["credential"] = found.secret
        if found.secret_type in _NAMED_BY_VALUE:
            external_id = found.secret
        else:
            external_id = f"sha:{keys.fingerprint(found.secret)}"
    else:
        external_id = f"{repo}#{found.number}"
    name = found.secret_type_display_name or found.secret_type
    return Alert(
        source=SOURCE,
        summary=f"{name} found by secret scanning in {repo} (alert {found.number})",
        severity=Severity.SEV1 if found.publicly_leaked else Severity.SEV2,
        identity=AlertIdentity(
            system=system, kind=kind, id=external_id[:200], attributes=attributes
        ),
        title=f"{name} leaked in {repo}"[:200],
        details=_details(hook, delivery, lookup),
    )


def _details(
    hook: SecretScanningWebhook, delivery: str | None, lookup: dict[str, str] | None
) -> dict[str, object]:
    """Everything GitHub sent, but the secret and the repository's URL templates, and
    how the secret was read from the REST API when the webhook lacked it."""
    body: dict[str, Any] = hook.model_dump(mode="json", exclude={"alert": {"secret"}})
    for name, fields in _KEEP.items():
        if isinstance(body.get(name), dict):
            body[name] = {k: body[name][k] for k in fields if k in body[name]}
    details: dict[str, object] = {"github": body, "delivery": delivery}
    if lookup is not None:
        details["secret_lookup"] = lookup
    return details
