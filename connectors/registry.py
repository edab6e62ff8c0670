"""The one list of connectors: each system, the actions it offers, how to build it.

Everything else asks this module: the catalogue (every action id a playbook may
offer) is the registered systems' specs, static, so ``blastwall playbooks
validate`` needs no credentials; ``build_connectors`` builds the configured
systems from their settings (``BLASTWALL_AWS_*``, ``BLASTWALL_VAULT_*``,
``BLASTWALL_GITHUB_*``) and refuses to start when a connector's ``specs()``
disagrees with what is registered for it. A new connector is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.actions import ActionSpec
from bot.core.ports import Connector, SecretAlertLookup
from connectors.aws_iam import specs as aws_iam
from connectors.github import specs as github
from connectors.threads import ConnectorThreads
from connectors.vault import specs as vault

# The builders import their connector when called, so listing the catalogue (playbook
# validation) loads neither boto3 nor an HTTP client.


@dataclass(frozen=True)
class Wiring:
    """What building a connector may use: the settings, and the deployment's unsealer
    (GitHub revokes a leaked token with the token itself, which Blastwall holds sealed)."""

    environ: Mapping[str, str]
    unseal: Callable[[str], str]
    threads: ConnectorThreads | None = None  # where blocking client libraries run


@dataclass(frozen=True)
class System:
    name: str
    specs: tuple[ActionSpec, ...]
    build: Callable[[Wiring], Connector | None]  # None: not configured here


class RegistryMismatch(Exception):
    """A connector offers other actions than its registry entry lists: a programming error."""


def _aws_iam(wiring: Wiring) -> Connector:
    """Always built: with no endpoint or keys, boto3's own resolution applies."""
    from connectors.aws_iam.connector import AwsIamConnector

    env = wiring.environ
    return AwsIamConnector(
        endpoint_url=env.get("BLASTWALL_AWS_ENDPOINT_URL") or None,
        region=env.get("BLASTWALL_AWS_REGION") or "us-east-1",
        access_key_id=env.get("BLASTWALL_AWS_ACCESS_KEY_ID") or None,
        secret_access_key=env.get("BLASTWALL_AWS_SECRET_ACCESS_KEY") or None,
        max_attempts=int(env.get("BLASTWALL_AWS_MAX_ATTEMPTS") or 5),
        rate_per_s=float(env.get("BLASTWALL_AWS_RATE_PER_S") or 10.0),
        threads=wiring.threads,
    )


def _vault(wiring: Wiring) -> Connector | None:
    """Built when BLASTWALL_VAULT_ADDR and _TOKEN are set (_NAMESPACE optional)."""
    from connectors.vault.connector import VaultConnector

    env = wiring.environ
    addr, token = env.get("BLASTWALL_VAULT_ADDR"), env.get("BLASTWALL_VAULT_TOKEN")
    if not addr or not token:
        return None
    return VaultConnector(addr=addr, token=token, namespace=env.get("BLASTWALL_VAULT_NAMESPACE"))


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
)


def catalogue() -> dict[str, ActionSpec]:
    """Every action any registered connector offers, by id (configured here or not)."""
    return {spec.id: spec for system in SYSTEMS for spec in system.specs}


def build_connectors(
    environ: Mapping[str, str],
    unseal: Callable[[str], str],
    threads: ConnectorThreads | None = None,
) -> dict[str, Connector]:
    """The connectors configured in ``environ``, by system name."""
    wiring = Wiring(environ, unseal, threads)
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
