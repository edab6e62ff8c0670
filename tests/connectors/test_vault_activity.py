"""The Vault connector's activity port against the real OpenBao dev server: a token's
lookup data by accessor (never its value), its end once revoked, and a lease prefix's
leases with their issue times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.activity import ActivityUnavailable, ActivityWindow
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.ports import ActivitySource
from connectors.vault.connector import VaultConnector
from tests.fakes.openbao import ROOT_TOKEN, Bao


@pytest.fixture
def vault(openbao: str) -> VaultConnector:
    return VaultConnector(addr=openbao, token=ROOT_TOKEN, attempts=2)


def _window() -> ActivityWindow:
    now = datetime.now(UTC)
    return ActivityWindow(now - timedelta(hours=1), now + timedelta(minutes=1), 50)


async def test_a_tokens_lookup_and_issue_time_never_its_value(
    vault: VaultConnector, bao: Bao
) -> None:
    name = f"agent-{uuid.uuid4().hex[:6]}"
    created = bao(
        "POST", "auth/token/create", json={"policies": ["default"], "display_name": name}
    ).json()["auth"]
    token = AffectedIdentity("vault", IdentityKind.TOKEN, created["accessor"])
    assert isinstance(vault, ActivitySource) and vault.covers(token)
    report = await vault.activity(token, _window())
    assert [e.name for e in report.events] == ["token.issued", "token.lookup"]
    lookup = report.events[-1].record
    assert lookup["accessor"] == created["accessor"] and "default" in str(lookup["policies"])
    assert created["client_token"] not in str([e.record for e in report.events])
    assert report.query["path"] == "auth/token/lookup-accessor"

    bao("POST", "auth/token/revoke-accessor", json={"accessor": created["accessor"]})
    gone = await vault.activity(token, _window())
    assert [e.name for e in gone.events] == ["token.not_found"]


async def test_a_lease_prefixs_leases_with_their_issue_times(
    vault: VaultConnector, bao: Bao
) -> None:
    if bao("GET", "sys/auth").json().get("approle/") is None:
        bao("POST", "sys/auth/approle", json={"type": "approle"}).raise_for_status()
    role = f"activity-{uuid.uuid4().hex[:8]}"
    bao("POST", f"auth/approle/role/{role}", json={"token_policies": ["default"]})
    role_id = bao("GET", f"auth/approle/role/{role}/role-id").json()["data"]["role_id"]
    secret_id = bao("POST", f"auth/approle/role/{role}/secret-id").json()["data"]["secret_id"]
    for _ in range(2):
        bao("POST", "auth/approle/login", json={"role_id": role_id, "secret_id": secret_id})
    prefix = AffectedIdentity(
        "vault",
        IdentityKind.SECRET,
        "auth/approle/login",
        attributes=(("vault_object", "lease_prefix"),),
    )
    assert vault.covers(prefix)
    report = await vault.activity(prefix, _window())
    issued = [e for e in report.events if e.name == "lease.issued"]
    assert len(issued) >= 2
    assert all(e.id.startswith("auth/approle/login/") for e in issued)


async def test_a_refusal_is_unavailable(openbao: str, bao: Bao) -> None:
    weak = bao("POST", "auth/token/create", json={"policies": ["default"]}).json()["auth"]
    vault = VaultConnector(addr=openbao, token=weak["client_token"], attempts=1)
    token = AffectedIdentity("vault", IdentityKind.TOKEN, weak["accessor"])
    with pytest.raises(ActivityUnavailable, match="may not"):
        await vault.activity(token, _window())
    assert not vault.covers(AffectedIdentity("aws", IdentityKind.TOKEN, "x"))
