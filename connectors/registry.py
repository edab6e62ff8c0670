"""The one list of connectors: each system, the actions it offers, how to build it.

Everything else asks this module: the catalogue (every action id a playbook may
offer) is the registered systems' specs, static, so ``blastwall playbooks
validate`` needs no credentials; ``build_connectors`` builds the configured
systems from their settings (``BLASTWALL_AWS_*``, ``BLASTWALL_VAULT_*``,
``BLASTWALL_GITHUB_*``, ``BLASTWALL_ENTRA_*``, ``BLASTWALL_OKTA_*``, ``BLASTWALL_K8S_*``,
``BLASTWALL_GCP_*``, ``BLASTWALL_SLACK_ADMIN_*``, ``BLASTWALL_CYBERARK_*``)
and refuses to start when a connector's ``specs()`` disagrees with what is registered
for it. A new connector is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.actions import ActionSpec
from bot.core.ports import Connector, SecretAlertLookup
from connectors.aws_iam import specs as aws_iam
from connectors.cyberark import specs as cyberark
from connectors.entra import specs as entra
from connectors.gcp_iam import specs as gcp_iam
from connectors.github import specs as github
from connectors.kubernetes import specs as kubernetes
from connectors.okta import specs as okta
from connectors.slack_admin import specs as slack_admin
from connectors.threads import ConnectorThreads
from connectors.vault import specs as vault

if TYPE_CHECKING:
    from connectors.aws_iam.cloudtrail import CloudTrailActivity
    from connectors.vault.kv import KvStore

# The builders import their connector when called, so listing the catalogue (playbook
# validation) loads neither boto3 nor an HTTP client.


@dataclass(frozen=True)
class Wiring:
    """What building a connector may use: the settings, and the deployment's unsealer
    (GitHub revokes a leaked token with the token itself, which Blastwall holds sealed)."""

    environ: Mapping[str, str]
    unseal: Callable[[str], str]
    # The redaction key's keyed hash: a rotation records its new secret by it, never as is.
    fingerprint: Callable[[str], str] | None = None
    threads: ConnectorThreads | None = None  # where blocking client libraries run


@dataclass(frozen=True)
class System:
    name: str
    specs: tuple[ActionSpec, ...]
    build: Callable[[Wiring], Connector | None]  # None: not configured here


class RegistryMismatch(Exception):
    """A connector offers other actions than its registry entry lists: a programming error."""


class ConnectorSettingsError(ValueError):
    """A connector is half configured: ``serve`` says which setting is missing and stops."""


def _aws_iam(wiring: Wiring) -> Connector:
    """Always built: with no endpoint or keys, boto3's own resolution applies."""
    from connectors.aws_iam.connector import AwsIamConnector

    env = wiring.environ
    return AwsIamConnector(
        cloudtrail=_cloudtrail(env),
        endpoint_url=env.get("BLASTWALL_AWS_ENDPOINT_URL") or None,
        region=env.get("BLASTWALL_AWS_REGION") or "us-east-1",
        access_key_id=env.get("BLASTWALL_AWS_ACCESS_KEY_ID") or None,
        secret_access_key=env.get("BLASTWALL_AWS_SECRET_ACCESS_KEY") or None,
        max_attempts=int(env.get("BLASTWALL_AWS_MAX_ATTEMPTS") or 5),
        rate_per_s=float(env.get("BLASTWALL_AWS_RATE_PER_S") or 10.0),
        secret_store=_secret_store(env),
        fingerprint=wiring.fingerprint,
        threads=wiring.threads,
    )


def _secret_store(env: Mapping[str, str]) -> KvStore | None:
    """Where a rotated AWS key's new secret goes: the Vault/OpenBao of BLASTWALL_VAULT_*
    (its KV v2 engine), when configured."""
    from connectors.vault.client import VaultClient
    from connectors.vault.kv import KvStore

    addr, token = env.get("BLASTWALL_VAULT_ADDR"), env.get("BLASTWALL_VAULT_TOKEN")
    if not addr or not token:
        return None
    client = VaultClient(addr=addr, token=token, namespace=env.get("BLASTWALL_VAULT_NAMESPACE"))
    return KvStore(client)


def _cloudtrail(env: Mapping[str, str]) -> CloudTrailActivity | None:
    """CloudTrail activity (issue 13): on when BLASTWALL_AWS_CLOUDTRAIL=on, or, unless it
    is off, when AWS is configured explicitly (an endpoint or an access key id). Its
    endpoint is BLASTWALL_AWS_CLOUDTRAIL_ENDPOINT_URL, else BLASTWALL_AWS_ENDPOINT_URL."""
    from connectors.aws_iam.cloudtrail import CloudTrailActivity

    switch = (env.get("BLASTWALL_AWS_CLOUDTRAIL") or "").strip().lower()
    endpoint = env.get("BLASTWALL_AWS_CLOUDTRAIL_ENDPOINT_URL") or env.get(
        "BLASTWALL_AWS_ENDPOINT_URL"
    )
    configured = bool(endpoint or env.get("BLASTWALL_AWS_ACCESS_KEY_ID"))
    if switch in ("off", "false", "0") or (switch not in ("on", "true", "1") and not configured):
        return None
    return CloudTrailActivity(
        endpoint_url=endpoint or None,
        region=env.get("BLASTWALL_AWS_REGION") or "us-east-1",
        access_key_id=env.get("BLASTWALL_AWS_ACCESS_KEY_ID") or None,
        secret_access_key=env.get("BLASTWALL_AWS_SECRET_ACCESS_KEY") or None,
        max_attempts=int(env.get("BLASTWALL_AWS_MAX_ATTEMPTS") or 5),
    )


def _vault(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_VAULT_ADDR and _TOKEN are set (_NAMESPACE optional)."""
    from connectors.vault.connector import VaultConnector

    env = wiring.environ
    addr, token = env.get("BLASTWALL_VAULT_ADDR"), env.get("BLASTWALL_VAULT_TOKEN")
    if not addr or not token:
        return None
    return VaultConnector(
        addr=addr,
        token=token,
        namespace=env.get("BLASTWALL_VAULT_NAMESPACE"),
        fingerprint=wiring.fingerprint,
    )


def _github(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_GITHUB_APP_ID and _APP_PRIVATE_KEY (a PEM file) are set."""
    from connectors.github.connector import GitHubConnector

    env = wiring.environ
    app_id, key_file = (
        env.get("BLASTWALL_GITHUB_APP_ID"),
        env.get("BLASTWALL_GITHUB_APP_PRIVATE_KEY"),
    )
    if not app_id or not key_file:
        return None
    return GitHubConnector(
        api_url=env.get("BLASTWALL_GITHUB_API_URL") or "https://api.github.com",
        app_id=app_id,
        private_key_pem=Path(key_file).read_text(),
        installation_id=env.get("BLASTWALL_GITHUB_INSTALLATION_ID"),
        unseal=wiring.unseal,
    )


def _entra(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_ENTRA_TENANT_ID, _CLIENT_ID and _CLIENT_SECRET are set."""
    from connectors.entra.connector import EntraConnector

    env = wiring.environ
    tenant, client_id, secret = (
        env.get("BLASTWALL_ENTRA_TENANT_ID"),
        env.get("BLASTWALL_ENTRA_CLIENT_ID"),
        env.get("BLASTWALL_ENTRA_CLIENT_SECRET"),
    )
    if not tenant or not client_id or not secret:
        return None
    return EntraConnector(
        tenant_id=tenant,
        client_id=client_id,
        client_secret=secret,
        login_url=env.get("BLASTWALL_ENTRA_LOGIN_URL") or "https://login.microsoftonline.com",
        graph_url=env.get("BLASTWALL_ENTRA_GRAPH_URL") or "https://graph.microsoft.com/v1.0",
    )


def _okta(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_OKTA_ORG_URL, _CLIENT_ID and _PRIVATE_KEY (a PEM file) are set."""
    from connectors.okta.client import SCOPES
    from connectors.okta.connector import OktaConnector

    env = wiring.environ
    org, client_id, key_file = (
        env.get("BLASTWALL_OKTA_ORG_URL"),
        env.get("BLASTWALL_OKTA_CLIENT_ID"),
        env.get("BLASTWALL_OKTA_PRIVATE_KEY"),
    )
    if not org or not client_id or not key_file:
        return None
    return OktaConnector(
        org_url=org,
        client_id=client_id,
        private_key_pem=Path(key_file).read_text(),
        key_id=env.get("BLASTWALL_OKTA_KEY_ID") or None,
        token_url=env.get("BLASTWALL_OKTA_TOKEN_URL") or None,
        scopes=env.get("BLASTWALL_OKTA_SCOPES") or SCOPES,
    )


def _gcp_iam(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_GCP_CREDENTIALS names a service account's JSON key file."""
    from connectors.gcp_iam.auth import DEFAULT_TOKEN_URL, ServiceAccountKey
    from connectors.gcp_iam.client import DEFAULT_CRM_URL, DEFAULT_IAM_URL
    from connectors.gcp_iam.connector import TOKEN_LIFETIME_S, GcpIamConnector

    env = wiring.environ
    key_file = env.get("BLASTWALL_GCP_CREDENTIALS")
    if not key_file:
        return None
    return GcpIamConnector(
        key=ServiceAccountKey.from_file(key_file),
        token_url=env.get("BLASTWALL_GCP_TOKEN_URL") or DEFAULT_TOKEN_URL,
        iam_url=env.get("BLASTWALL_GCP_IAM_URL") or DEFAULT_IAM_URL,
        crm_url=env.get("BLASTWALL_GCP_CRM_URL") or DEFAULT_CRM_URL,
        token_lifetime_s=float(env.get("BLASTWALL_GCP_TOKEN_LIFETIME_S") or TOKEN_LIFETIME_S),
    )


def _slack_admin(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_SLACK_ADMIN_API_URL or _TOKEN is set. Revoking a leaked token
    needs only the URL (the token revokes itself); resetting sessions needs the admin token."""
    from connectors.slack_admin.client import DEFAULT_API_URL
    from connectors.slack_admin.connector import SlackAdminConnector

    env = wiring.environ
    url, token = env.get("BLASTWALL_SLACK_ADMIN_API_URL"), env.get("BLASTWALL_SLACK_ADMIN_TOKEN")
    if not url and not token:
        return None
    return SlackAdminConnector(
        unseal=wiring.unseal, admin_token=token or None, api_url=url or DEFAULT_API_URL
    )


def _kubernetes(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_K8S_API_URL and a token (BLASTWALL_K8S_TOKEN, or
    BLASTWALL_K8S_TOKEN_FILE, re-read on each call) are set; BLASTWALL_K8S_CA_FILE
    verifies the API server's certificate."""
    from connectors.kubernetes.connector import KubernetesConnector

    env = wiring.environ
    url = env.get("BLASTWALL_K8S_API_URL")
    token, token_file = env.get("BLASTWALL_K8S_TOKEN"), env.get("BLASTWALL_K8S_TOKEN_FILE")
    if not url or not (token or token_file):
        return None
    return KubernetesConnector(
        api_url=url,
        token=token or None,
        token_file=token_file or None,
        ca_file=env.get("BLASTWALL_K8S_CA_FILE") or None,
    )


def _cyberark(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_CYBERARK_URL is set. ``_AUTH=cyberark`` (the default) logs on
    as a Vault user (_USERNAME, _PASSWORD); ``_AUTH=oauth`` takes Privilege Cloud client
    credentials (_CLIENT_ID, _CLIENT_SECRET, _TOKEN_URL: the Identity tenant's
    ``/oauth2/platformtoken``). A half-configured connector refuses to start."""
    from connectors.cyberark.connector import CyberArkConnector
    from connectors.cyberark.logon import ClientCredentialsLogon, Logon, VaultUserLogon

    env = wiring.environ
    url = env.get("BLASTWALL_CYBERARK_URL")
    if not url:
        return None
    auth = (env.get("BLASTWALL_CYBERARK_AUTH") or "cyberark").lower()
    needed = {
        "cyberark": ("USERNAME", "PASSWORD"),
        "oauth": ("CLIENT_ID", "CLIENT_SECRET", "TOKEN_URL"),
    }.get(auth)
    if needed is None:
        raise ConnectorSettingsError(
            f"BLASTWALL_CYBERARK_AUTH must be cyberark or oauth, not {auth!r}"
        )
    values = [env.get(f"BLASTWALL_CYBERARK_{name}") or "" for name in needed]
    missing = [f"BLASTWALL_CYBERARK_{n}" for n, v in zip(needed, values, strict=True) if not v]
    if missing:
        raise ConnectorSettingsError(f"BLASTWALL_CYBERARK_AUTH={auth} needs {', '.join(missing)}")
    logon: Logon = (
        VaultUserLogon(values[0], values[1])
        if auth == "cyberark"
        else ClientCredentialsLogon(values[2], values[0], values[1])
    )
    return CyberArkConnector(url=url, logon=logon)


def secret_alert_lookup(environ: Mapping[str, str]) -> SecretAlertLookup | None:
    """Reads secret scanning alerts as the GitHub App, for the webhook door (which is
    not given the leaked value); None when the App is not configured."""
    from connectors.github.alerts import SecretAlerts

    app_id, key_file = (
        environ.get("BLASTWALL_GITHUB_APP_ID"),
        environ.get("BLASTWALL_GITHUB_APP_PRIVATE_KEY"),
    )
    if not app_id or not key_file:
        return None
    return SecretAlerts(
        api_url=environ.get("BLASTWALL_GITHUB_API_URL") or "https://api.github.com",
        app_id=app_id,
        private_key_pem=Path(key_file).read_text(),
        installation_id=environ.get("BLASTWALL_GITHUB_INSTALLATION_ID"),
    )


SYSTEMS: tuple[System, ...] = (
    System(aws_iam.CONNECTOR, aws_iam.SPECS, _aws_iam),
    System(vault.CONNECTOR, vault.SPECS, _vault),
    System(github.CONNECTOR, github.SPECS, _github),
    System(entra.CONNECTOR, entra.SPECS, _entra),
    System(okta.CONNECTOR, okta.SPECS, _okta),
    System(kubernetes.CONNECTOR, kubernetes.SPECS, _kubernetes),
    System(gcp_iam.CONNECTOR, gcp_iam.SPECS, _gcp_iam),
    System(slack_admin.CONNECTOR, slack_admin.SPECS, _slack_admin),
    System(cyberark.CONNECTOR, cyberark.SPECS, _cyberark),
)


def catalogue() -> dict[str, ActionSpec]:
    """Every action any registered connector offers, by id (configured here or not)."""
    return {spec.id: spec for system in SYSTEMS for spec in system.specs}


def build_connectors(
    environ: Mapping[str, str],
    unseal: Callable[[str], str],
    fingerprint: Callable[[str], str] | None = None,
    threads: ConnectorThreads | None = None,
) -> dict[str, Connector]:
    """The connectors configured in ``environ``, by system name."""
    wiring = Wiring(environ, unseal, fingerprint, threads)
    built: dict[str, Connector] = {}
    for system in SYSTEMS:
        connector = system.build(wiring)
        if connector is not None:
            built[system.name] = checked(system, connector)
    return built


def checked(system: System, connector: Connector) -> Connector:
    """The connector, once its name and ``specs()`` match its registry entry."""
    offered = {spec.id: spec for spec in connector.specs()}
    if connector.name != system.name or offered != {spec.id: spec for spec in system.specs}:
        raise RegistryMismatch(
            f"connector {connector.name!r} offers "
            f"{sorted(offered)}, "
            f"registered as {system.name!r} with {sorted(s.id for s in system.specs)}"
        )
    return connector
