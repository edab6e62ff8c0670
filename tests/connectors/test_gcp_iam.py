"""The Google Cloud IAM connector against the Google stand-in, over real HTTP: plan changes
nothing, apply changes the target once, apply twice is harmless, verify sees it, undo
restores or refuses (saying why), throttling is retried, a wrong key is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.gcp_iam.auth import ServiceAccountKey
from connectors.gcp_iam.connector import GcpIamConnector
from tests.fakes.gcp_api import GcpStandIn
from tests.fakes.servers import ServedApp

PROJECT = "payments-prod"


@pytest.fixture
def google() -> Iterator[tuple[GcpStandIn, str]]:
    stand_in = GcpStandIn()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def _key(stand_in: GcpStandIn, tmp_path: Path) -> ServiceAccountKey:
    path = tmp_path / "blastwall-sa.json"
    path.write_text(stand_in.key_file())
    return ServiceAccountKey.from_file(str(path))


@pytest.fixture
async def gcp(google: tuple[GcpStandIn, str], tmp_path: Path) -> AsyncIterator[GcpIamConnector]:
    stand_in, url = google
    connector = _connector(stand_in, url, _key(stand_in, tmp_path))
    yield connector
    await connector.aclose()


def _connector(
    stand_in: GcpStandIn, url: str, key: ServiceAccountKey, lifetime_s: float = 3600
) -> GcpIamConnector:
    return GcpIamConnector(
        key=key,
        token_url=f"{url}/token",
        iam_url=url,
        crm_url=url,
        attempts=4,
        verify_timeout_s=3,
        token_lifetime_s=lifetime_s,
    )


def _account(stand_in: GcpStandIn) -> tuple[str, AffectedIdentity]:
    email = stand_in.add_account(PROJECT, "ci-deployer")
    return email, AffectedIdentity("gcp", IdentityKind.SERVICE_ACCOUNT, email)


async def test_disable_a_key_and_refuse_to_re_enable_it(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector
) -> None:
    stand_in, _ = google
    email, _ = _account(stand_in)
    name = stand_in.add_key(email)
    key_id = name.rsplit("/", 1)[1]
    target = AffectedIdentity("gcp", IdentityKind.ACCESS_KEY, name)
    plan = await gcp.plan("gcp.iam.disable_key", target, {})
    assert plan.changes == {"disabled": True} and not stand_in.keys[key_id]["disabled"]
    first = await gcp.apply("gcp.iam.disable_key", target, {})
    assert first.ok and not first.already and stand_in.keys[key_id]["disabled"]
    assert (await gcp.apply("gcp.iam.disable_key", target, {})).already
    assert (await gcp.verify("gcp.iam.disable_key", target, {})).confirmed
    refused = await gcp.undo("gcp.iam.disable_key", target, {}, plan.before)
    assert refused.error_code == "unsafe" and "delete" in refused.summary
    assert stand_in.keys[key_id]["disabled"]
    restored = await gcp.undo(
        "gcp.iam.disable_key", target, {"confirm_false_positive": "true"}, plan.before
    )
    assert restored.ok and not stand_in.keys[key_id]["disabled"]
    assert stand_in.calls.count(("POST", f"/v1/{name}:disable")) == 1
    assert (f"/v1/{name}:disable", {}) in stand_in.bodies


async def test_delete_a_key_named_by_id_and_account(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector
) -> None:
    stand_in, _ = google
    email, _ = _account(stand_in)
    key_id = stand_in.add_key(email).rsplit("/", 1)[1]
    target = AffectedIdentity(
        "gcp", IdentityKind.ACCESS_KEY, key_id, attributes=(("service_account", email),)
    )
    assert (await gcp.plan("gcp.iam.delete_key", target, {})).changes == {"exists": False}
    assert (await gcp.apply("gcp.iam.delete_key", target, {})).ok
    assert key_id not in stand_in.keys
    assert (await gcp.apply("gcp.iam.delete_key", target, {})).already
    assert (await gcp.verify("gcp.iam.delete_key", target, {})).confirmed
    undone = await gcp.undo("gcp.iam.delete_key", target, {}, {"exists": True})
    assert undone.error_code == "irreversible"


async def test_disable_an_account_whose_undo_waits_for_its_keys_and_tokens(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector, tmp_path: Path
) -> None:
    stand_in, url = google
    email, target = _account(stand_in)
    leaked = stand_in.add_key(email).rsplit("/", 1)[1]
    plan = await gcp.plan("gcp.iam.disable_service_account", target, {})
    assert plan.before["live_keys"] == [leaked] and plan.changes == {"disabled": True}
    assert (await gcp.apply("gcp.iam.disable_service_account", target, {})).ok
    assert stand_in.accounts[email]["disabled"]
    assert (await gcp.apply("gcp.iam.disable_service_account", target, {})).already
    assert (await gcp.verify("gcp.iam.disable_service_account", target, {})).confirmed
    keys_live = await gcp.undo("gcp.iam.disable_service_account", target, {}, plan.before)
    assert keys_live.error_code == "unsafe" and leaked in keys_live.summary
    stand_in.keys[leaked]["disabled"] = True
    stand_in.add_key(email)  # the workload's new key, made after containment: no obstacle
    tokens_live = await gcp.undo("gcp.iam.disable_service_account", target, {}, plan.before)
    assert tokens_live.error_code == "unsafe" and "tokens" in tokens_live.summary
    assert stand_in.accounts[email]["disabled"]
    patient = _connector(stand_in, url, _key(stand_in, tmp_path), lifetime_s=0)
    restored = await patient.undo("gcp.iam.disable_service_account", target, {}, plan.before)
    await patient.aclose()
    assert restored.ok and not stand_in.accounts[email]["disabled"]


async def test_remove_bindings_under_the_etag_and_restore_them(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector
) -> None:
    stand_in, _ = google
    email, target = _account(stand_in)
    member = f"serviceAccount:{email}"
    stand_in.grant(PROJECT, "roles/storage.admin", member)
    stand_in.grant(PROJECT, "roles/storage.admin", "group:data@example.com")
    stand_in.grant(PROJECT, "roles/pubsub.publisher", member)
    plan = await gcp.plan("gcp.iam.remove_project_binding", target, {})
    assert {b["role"] for b in plan.before["bindings"]} == {  # type: ignore[attr-defined]
        "roles/storage.admin",
        "roles/pubsub.publisher",
    }
    # Two other writers change the policy right after Blastwall reads it: the first after
    # apply's read of the state, the second after the write's own read, so one
    # setIamPolicy meets a stale etag (409 ABORTED) and the read-modify-write is redone.
    stand_in.race_policy_writes(2)
    first = await gcp.apply("gcp.iam.remove_project_binding", target, {})
    assert first.ok, first.summary
    assert stand_in.members(PROJECT, "roles/storage.admin") == ["group:data@example.com"]
    assert stand_in.members(PROJECT, "roles/pubsub.publisher") == []
    assert len(stand_in.members(PROJECT, "roles/viewer")) == 2, "the rivals' writes survive"
    sets = [c for c in stand_in.calls if c[1].endswith(":setIamPolicy")]
    assert len(sets) == 2
    assert (await gcp.apply("gcp.iam.remove_project_binding", target, {})).already
    assert (await gcp.verify("gcp.iam.remove_project_binding", target, {})).confirmed
    restored = await gcp.undo(
        "gcp.iam.remove_project_binding", target, {"confirm_false_positive": "true"}, plan.before
    )
    assert restored.ok
    assert member in stand_in.members(PROJECT, "roles/pubsub.publisher")
    assert stand_in.members(PROJECT, "roles/storage.admin") == ["group:data@example.com", member]


async def test_remove_one_role_only_and_give_up_on_a_policy_that_never_settles(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector
) -> None:
    stand_in, _ = google
    email, target = _account(stand_in)
    member = f"serviceAccount:{email}"
    stand_in.grant(PROJECT, "roles/owner", member)
    stand_in.grant(PROJECT, "roles/logging.logWriter", member)
    params = {"role": "roles/owner"}
    stand_in.race_policy_writes(50)
    busy = await gcp.apply("gcp.iam.remove_project_binding", target, params)
    assert not busy.ok and busy.error_code == "aborted" and "gave up" in busy.summary
    assert member in stand_in.members(PROJECT, "roles/owner")
    stand_in.race_policy_writes(0)
    assert (await gcp.apply("gcp.iam.remove_project_binding", target, params)).ok
    assert stand_in.members(PROJECT, "roles/owner") == []
    assert stand_in.members(PROJECT, "roles/logging.logWriter") == [member]


async def test_throttling_is_retried_within_its_bound(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector
) -> None:
    stand_in, _ = google
    email, target = _account(stand_in)
    stand_in.fail_next(2, 429)
    assert (await gcp.apply("gcp.iam.disable_service_account", target, {})).ok
    stand_in.fail_next(10, 429)
    failed = await gcp.apply(
        "gcp.iam.disable_key",
        AffectedIdentity("gcp", IdentityKind.ACCESS_KEY, stand_in.add_key(email)),
        {},
    )
    assert (
        not failed.ok and failed.error_code == "throttled" and "after 4 attempts" in failed.summary
    )


async def test_the_token_exchange_is_a_signed_service_account_assertion(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector, tmp_path: Path
) -> None:
    stand_in, url = google
    _, target = _account(stand_in)
    assert (await gcp.plan("gcp.iam.disable_service_account", target, {})).changes
    claims = stand_in.assertions[-1]
    assert claims["iss"] == stand_in.client_email and claims["aud"] == f"{url}/token"
    assert claims["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert stand_in.calls.count(("POST", "/token")) == 1, "the token is cached"

    impostor = GcpStandIn(stand_in.client_email)
    forged = tmp_path / "forged.json"
    forged.write_text(
        json.dumps({**json.loads(impostor.key_file()), "private_key_id": stand_in.key_id})
    )
    wrong = _connector(stand_in, url, ServiceAccountKey.from_file(str(forged)))
    refused = await wrong.apply("gcp.iam.disable_service_account", target, {})
    await wrong.aclose()
    assert not refused.ok and refused.error_code == "access_denied"
    assert "invalid_grant" in refused.summary
    assert not stand_in.accounts[target.external_id]["disabled"]


async def test_bad_targets_are_refused_before_any_call(
    google: tuple[GcpStandIn, str], gcp: GcpIamConnector
) -> None:
    stand_in, _ = google
    calls = len(stand_in.calls)
    bare = AffectedIdentity("gcp", IdentityKind.ACCESS_KEY, "abc123")
    outcome = await gcp.apply("gcp.iam.disable_key", bare, {})
    assert outcome.error_code == "invalid_target" and "service_account" in outcome.summary
    nowhere = AffectedIdentity("gcp", IdentityKind.SERVICE_ACCOUNT, "bot@example.com")
    outcome = await gcp.apply("gcp.iam.remove_project_binding", nowhere, {})
    assert outcome.error_code == "invalid_target"
    assert len(stand_in.calls) == calls
