"""The Vault connector against the real OpenBao dev server."""

from __future__ import annotations

import uuid

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.vault.connector import VaultConnector
from tests.fakes.openbao import ROOT_TOKEN, Bao


@pytest.fixture
def vault(openbao: str) -> VaultConnector:
    return VaultConnector(addr=openbao, token=ROOT_TOKEN, verify_timeout_s=5)


def _approle(bao: Bao) -> tuple[str, str, str]:
    """A fresh AppRole: (role, role_id, secret_id)."""
    if bao("GET", "sys/auth").json().get("approle/") is None:
        bao("POST", "sys/auth/approle", json={"type": "approle"}).raise_for_status()
    role = f"agent-{uuid.uuid4().hex[:8]}"
    bao("POST", f"auth/approle/role/{role}", json={"token_policies": ["default"]})
    role_id = bao("GET", f"auth/approle/role/{role}/role-id").json()["data"]["role_id"]
    return (
        role,
        role_id,
        bao("POST", f"auth/approle/role/{role}/secret-id").json()["data"]["secret_id"],
    )


def _login(bao: Bao, role_id: str, secret_id: str) -> dict[str, str]:
    auth = bao("POST", "auth/approle/login", json={"role_id": role_id, "secret_id": secret_id})
    auth.raise_for_status()
    return dict(auth.json()["auth"])


def _live(bao: Bao, accessor: str) -> bool:
    return bao("POST", "auth/token/lookup-accessor", json={"accessor": accessor}).status_code == 200


async def test_revoke_a_token_by_accessor(vault: VaultConnector, bao: Bao) -> None:
    token = bao("POST", "auth/token/create", json={"policies": ["default"]}).json()["auth"]
    target = AffectedIdentity("vault", IdentityKind.TOKEN, token["accessor"])
    plan = await vault.plan("vault.revoke_token_accessor", target, {})
    assert plan.changes == {"live": False} and _live(bao, token["accessor"])
    assert (await vault.apply("vault.revoke_token_accessor", target, {})).ok
    assert not _live(bao, token["accessor"])
    assert (await vault.apply("vault.revoke_token_accessor", target, {})).already
    assert (await vault.verify("vault.revoke_token_accessor", target, {})).confirmed
    undo = await vault.undo("vault.revoke_token_accessor", target, {}, plan.before)
    assert undo.error_code == "irreversible"


async def test_revoke_every_lease_an_approle_issued(vault: VaultConnector, bao: Bao) -> None:
    _, role_id, secret_id = _approle(bao)
    tokens = [_login(bao, role_id, secret_id) for _ in range(3)]
    target = AffectedIdentity(
        "vault",
        IdentityKind.SECRET,
        "auth/approle/login",
        attributes=(("vault_object", "lease_prefix"),),
    )
    plan = await vault.plan("vault.revoke_lease_prefix", target, {})
    leases = plan.before["leases"]
    assert isinstance(leases, int) and leases >= 3
    assert all(_live(bao, t["accessor"]) for t in tokens)
    assert (await vault.apply("vault.revoke_lease_prefix", target, {})).ok
    assert not any(_live(bao, t["accessor"]) for t in tokens)
    assert (await vault.apply("vault.revoke_lease_prefix", target, {})).already
    assert (await vault.verify("vault.revoke_lease_prefix", target, {})).confirmed
    refused = await vault.undo("vault.revoke_lease_prefix", target, {}, plan.before)
    assert refused.error_code == "irreversible"


async def test_disabling_an_entity_cannot_be_undone_while_its_tokens_live(
    vault: VaultConnector, bao: Bao
) -> None:
    _, role_id, secret_id = _approle(bao)
    token = _login(bao, role_id, secret_id)
    entity_id = token["entity_id"]
    target = AffectedIdentity("vault", IdentityKind.AGENT, entity_id)
    plan = await vault.plan("vault.disable_entity", target, {})
    assert plan.changes == {"disabled": True}
    assert (await vault.apply("vault.disable_entity", target, {})).ok
    assert bao("GET", f"identity/entity/id/{entity_id}").json()["data"]["disabled"] is True
    assert (await vault.verify("vault.disable_entity", target, {})).confirmed
    refused = await vault.undo("vault.disable_entity", target, {}, plan.before)
    assert refused.error_code == "unsafe" and "still live" in refused.summary
    bao("POST", "auth/token/revoke-accessor", json={"accessor": token["accessor"]})
    restored = await vault.undo("vault.disable_entity", target, {}, plan.before)
    assert restored.ok
    assert bao("GET", f"identity/entity/id/{entity_id}").json()["data"]["disabled"] is False


async def test_destroy_an_approle_secret_id(vault: VaultConnector, bao: Bao) -> None:
    role, role_id, _ = _approle(bao)
    issued = bao("POST", f"auth/approle/role/{role}/secret-id").json()["data"]
    target = AffectedIdentity(
        "vault",
        IdentityKind.SECRET,
        issued["secret_id_accessor"],
        attributes=(("role", role), ("vault_object", "approle_secret_id")),
    )
    assert (await vault.plan("vault.destroy_approle_secret_id", target, {})).changes
    assert (await vault.apply("vault.destroy_approle_secret_id", target, {})).ok
    login = bao(
        "POST", "auth/approle/login", json={"role_id": role_id, "secret_id": issued["secret_id"]}
    )
    assert login.status_code >= 400
    assert (await vault.apply("vault.destroy_approle_secret_id", target, {})).already
    assert (await vault.verify("vault.destroy_approle_secret_id", target, {})).confirmed


async def test_a_token_without_permission_gets_a_clear_answer(openbao: str, bao: Bao) -> None:
    weak = bao("POST", "auth/token/create", json={"policies": ["default"]}).json()["auth"]
    vault = VaultConnector(addr=openbao, token=weak["client_token"])
    target = AffectedIdentity("vault", IdentityKind.AGENT, "no-such-entity")
    outcome = await vault.apply("vault.disable_entity", target, {})
    assert not outcome.ok and outcome.error_code in ("access_denied", "not_found")
