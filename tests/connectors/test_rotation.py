"""Rotation against moto and the real OpenBao dev server: a new credential, its secret
delivered to KV v2 and read back, then the old one retired; and the refusals."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.aws_iam.connector import AwsIamConnector
from connectors.aws_iam.specs import DELETE_INACTIVE_ACCESS_KEY, ROTATE_ACCESS_KEY
from connectors.base import ConnectorFailure
from connectors.vault.client import VaultClient
from connectors.vault.connector import VaultConnector
from connectors.vault.kv import KvStore
from connectors.vault.specs import ROTATE_SECRET_ID
from tests.connectors.test_vault import _approle
from tests.fakes.moto_aws import CREDENTIALS, key_status
from tests.fakes.openbao import ROOT_TOKEN, Bao

KEY = b"rotation-test-redaction-key-0123"
TEMPLATE = {"kv_path": "secret/nhi/{owner}/{key}"}


def _fingerprint(secret: str) -> str:
    return hmac.new(KEY, secret.encode(), hashlib.sha256).hexdigest()[:16]


@pytest.fixture
def aws(moto_endpoint: str, openbao: str) -> AwsIamConnector:
    return AwsIamConnector(
        endpoint_url=moto_endpoint,
        access_key_id=CREDENTIALS["aws_access_key_id"],
        secret_access_key=CREDENTIALS["aws_secret_access_key"],
        secret_store=KvStore(VaultClient(addr=openbao, token=ROOT_TOKEN)),
        fingerprint=_fingerprint,
    )


def _leaked(iam: Any) -> tuple[str, AffectedIdentity]:
    user = f"svc-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    return user, AffectedIdentity("aws", IdentityKind.ACCESS_KEY, key_id, owner="team payments")


def _kv(bao: Bao, path: str) -> dict[str, Any]:
    mount, inside = path.split("/", 1)
    answer = bao("GET", f"{mount}/data/{inside}")
    answer.raise_for_status()
    return dict(answer.json()["data"])


async def test_a_key_is_rotated_delivered_and_read_back(
    aws: AwsIamConnector, iam_admin: Any, bao: Bao
) -> None:
    user, old = _leaked(iam_admin)
    plan = await aws.plan(ROTATE_ACCESS_KEY.id, old, TEMPLATE)
    path = f"secret/nhi/team-payments/{old.external_id}"
    assert plan.changes == {"new_key": "Active", "kv_path": path, "old_status": "Inactive"}

    done = await aws.apply(ROTATE_ACCESS_KEY.id, old, TEMPLATE)
    assert done.ok, done.summary
    new = str(done.after["new_key_id"])
    assert key_status(iam_admin, user, new) == "Active"
    assert key_status(iam_admin, user, old.external_id) == "Inactive"
    stored = _kv(bao, path)
    secret = stored["data"]["secret_access_key"]
    assert stored["data"]["access_key_id"] == new
    assert done.after["kv_version"] == stored["metadata"]["version"]
    assert done.after["secret_hmac"] == _fingerprint(secret)
    assert secret not in repr(done)

    verified = await aws.verify(ROTATE_ACCESS_KEY.id, old, TEMPLATE)
    assert verified.confirmed and verified.observed["new_key_id"] == new
    assert verified.observed["secret_hmac"] == done.after["secret_hmac"]
    assert (await aws.apply(ROTATE_ACCESS_KEY.id, old, TEMPLATE)).already
    undo = await aws.undo(ROTATE_ACCESS_KEY.id, old, TEMPLATE, plan.before)
    assert undo.error_code == "irreversible"


async def test_at_the_two_key_limit_the_plan_refuses_and_offers_the_inactive_key(
    aws: AwsIamConnector, iam_admin: Any
) -> None:
    user, old = _leaked(iam_admin)
    spare = iam_admin.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ConnectorFailure, match=r"two access keys.*Active, so Blastwall will not"):
        await aws.plan(ROTATE_ACCESS_KEY.id, old, TEMPLATE)
    refused = await aws.apply(DELETE_INACTIVE_ACCESS_KEY.id, old, {})
    assert refused.error_code == "unsafe" and key_status(iam_admin, user, spare) == "Active"

    iam_admin.update_access_key(UserName=user, AccessKeyId=spare, Status="Inactive")
    refused = await aws.apply(ROTATE_ACCESS_KEY.id, old, TEMPLATE)
    assert refused.error_code == "limit_exceeded"
    assert f"{spare} is inactive" in refused.summary
    assert DELETE_INACTIVE_ACCESS_KEY.id in refused.summary
    keys = iam_admin.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in keys} == {old.external_id, spare}

    plan = await aws.plan(DELETE_INACTIVE_ACCESS_KEY.id, old, {})
    assert plan.changes == {"deleted": spare}
    assert (await aws.apply(DELETE_INACTIVE_ACCESS_KEY.id, old, {})).ok
    assert (await aws.verify(DELETE_INACTIVE_ACCESS_KEY.id, old, {})).confirmed
    assert (await aws.apply(ROTATE_ACCESS_KEY.id, old, TEMPLATE)).ok


async def test_a_failed_delivery_leaves_no_new_key(aws: AwsIamConnector, iam_admin: Any) -> None:
    user, old = _leaked(iam_admin)
    nowhere = {"kv_path": "no-such-mount/nhi/{key}"}
    failed = await aws.apply(ROTATE_ACCESS_KEY.id, old, nowhere)
    assert not failed.ok and failed.error_code == "secret_store", failed.summary
    assert "deleted again" in failed.summary and failed.after["new_discarded"] is True
    keys = iam_admin.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(old.external_id, "Active")]


async def test_without_a_secret_store_rotation_says_what_to_configure(
    moto_endpoint: str, iam_admin: Any
) -> None:
    bare = AwsIamConnector(
        endpoint_url=moto_endpoint,
        access_key_id=CREDENTIALS["aws_access_key_id"],
        secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )
    _, old = _leaked(iam_admin)
    refused = await bare.apply(ROTATE_ACCESS_KEY.id, old, TEMPLATE)
    assert refused.error_code == "unavailable" and "BLASTWALL_VAULT_ADDR" in refused.summary


async def test_an_approle_secret_id_is_rotated(openbao: str, bao: Bao) -> None:
    vault = VaultConnector(
        addr=openbao, token=ROOT_TOKEN, verify_timeout_s=5, fingerprint=_fingerprint
    )
    role, role_id, old_secret = _approle(bao)
    # The role's one secret-id so far: its accessor is the identity an alert names.
    accessor = bao("LIST", f"auth/approle/role/{role}/secret-id").json()["data"]["keys"][0]
    target = AffectedIdentity(
        "vault", IdentityKind.SECRET, accessor, owner="agents", attributes=(("role", role),)
    )
    params = {"kv_path": "secret/nhi/{owner}/{principal}"}
    done = await vault.apply(ROTATE_SECRET_ID.id, target, params)
    assert done.ok, done.summary
    stored = _kv(bao, f"secret/nhi/agents/{role}")["data"]
    assert stored["secret_id_accessor"] == done.after["new_accessor"] != accessor
    assert done.after["secret_hmac"] == _fingerprint(stored["secret_id"])
    login = {"role_id": role_id, "secret_id": stored["secret_id"]}
    assert bao("POST", "auth/approle/login", json=login).status_code == 200
    stale = {"role_id": role_id, "secret_id": old_secret}
    assert bao("POST", "auth/approle/login", json=stale).status_code >= 400
    assert (await vault.verify(ROTATE_SECRET_ID.id, target, params)).confirmed
    assert (await vault.apply(ROTATE_SECRET_ID.id, target, params)).already
