"""The AWS IAM connector against moto in server mode, asserting on what moto holds."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.aws_iam.connector import AwsIamConnector
from connectors.aws_iam.policies import QUARANTINE_POLICY, REVOKE_SESSIONS_POLICY
from connectors.aws_iam.specs import (
    DEACTIVATE_ACCESS_KEY,
    QUARANTINE_PRINCIPAL,
    REVOKE_ROLE_SESSIONS,
)
from tests.fakes.moto_aws import CREDENTIALS, inline_policy, key_status

TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


@pytest.fixture
def connector(moto_endpoint: str) -> AwsIamConnector:
    return AwsIamConnector(
        endpoint_url=moto_endpoint,
        access_key_id=CREDENTIALS["aws_access_key_id"],
        secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


def _key(iam: Any, user: str = "ci-deployer") -> AffectedIdentity:
    iam.create_user(UserName=user)
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    return AffectedIdentity("aws", IdentityKind.ACCESS_KEY, key_id)


async def test_deactivate_plans_applies_once_and_is_idempotent(
    connector: AwsIamConnector, iam_admin: Any
) -> None:
    key = _key(iam_admin)
    plan = await connector.plan(DEACTIVATE_ACCESS_KEY.id, key, {})
    assert plan.before == {"user": "ci-deployer", "status": "Active"}
    assert plan.changes == {"status": "Inactive"}
    assert key_status(iam_admin, "ci-deployer", key.external_id) == "Active"

    first = await connector.apply(DEACTIVATE_ACCESS_KEY.id, key, {})
    assert first.ok and not first.already and first.after["status"] == "Inactive"
    assert key_status(iam_admin, "ci-deployer", key.external_id) == "Inactive"

    again = await connector.apply(DEACTIVATE_ACCESS_KEY.id, key, {})
    assert again.ok and again.already
    assert (await connector.plan(DEACTIVATE_ACCESS_KEY.id, key, {})).no_op


async def test_verify_gives_up_within_its_bound_and_changes_nothing(
    moto_endpoint: str, iam_admin: Any
) -> None:
    """A change that never shows: verify reads back (the loop keeps running) and says so."""
    connector = AwsIamConnector(
        endpoint_url=moto_endpoint,
        access_key_id=CREDENTIALS["aws_access_key_id"],
        secret_access_key=CREDENTIALS["aws_secret_access_key"],
        verify_timeout_s=1,
    )
    key = _key(iam_admin)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    verified = await connector.verify(DEACTIVATE_ACCESS_KEY.id, key, {})
    ticker.cancel()
    assert not verified.confirmed and verified.summary == "not visible after 1s"
    assert verified.observed == {"user": "ci-deployer", "status": "Active"}
    assert key_status(iam_admin, "ci-deployer", key.external_id) == "Active"
    assert ticks > 1


async def test_an_unknown_key_is_a_clear_failure(
    connector: AwsIamConnector, iam_admin: Any
) -> None:
    ghost = AffectedIdentity(
        "aws", IdentityKind.ACCESS_KEY, "AKIAGHOSTGHOSTGHOST1", attributes=(("user", "nobody"),)
    )
    outcome = await connector.apply(DEACTIVATE_ACCESS_KEY.id, ghost, {})
    assert not outcome.ok and outcome.error_code == "not_found"
    assert "nobody" in outcome.summary


async def test_quarantine_a_user_through_its_key_and_a_role(
    connector: AwsIamConnector, iam_admin: Any
) -> None:
    key = _key(iam_admin, "shared-svc")
    plan = await connector.plan(QUARANTINE_PRINCIPAL.id, key, {})
    assert plan.changes == {"quarantine_policy": QUARANTINE_POLICY}
    assert inline_policy(iam_admin, "user", "shared-svc", QUARANTINE_POLICY) is None
    outcome = await connector.apply(QUARANTINE_PRINCIPAL.id, key, {})
    assert outcome.ok
    document = inline_policy(iam_admin, "user", "shared-svc", QUARANTINE_POLICY)
    assert document is not None
    assert document["Statement"][0]["Effect"] == "Deny"
    assert (await connector.apply(QUARANTINE_PRINCIPAL.id, key, {})).already

    iam_admin.create_role(RoleName="agent-7", AssumeRolePolicyDocument=TRUST)
    role = AffectedIdentity("aws", IdentityKind.AGENT, "arn:aws:iam::123456789012:role/agent-7")
    assert (await connector.apply(QUARANTINE_PRINCIPAL.id, role, {})).ok
    assert inline_policy(iam_admin, "role", "agent-7", QUARANTINE_POLICY) is not None


async def test_revoke_role_sessions_sets_a_cutoff(
    connector: AwsIamConnector, iam_admin: Any
) -> None:
    iam_admin.create_role(RoleName="agent-7", AssumeRolePolicyDocument=TRUST)
    role = AffectedIdentity("aws", IdentityKind.ROLE, "agent-7")
    outcome = await connector.apply(REVOKE_ROLE_SESSIONS.id, role, {})
    assert outcome.ok
    document = inline_policy(iam_admin, "role", "agent-7", REVOKE_SESSIONS_POLICY)
    assert document is not None
    condition = document["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    assert condition == outcome.after["revoked_before"]
    missing = AffectedIdentity("aws", IdentityKind.ROLE, "no-such-role")
    failed = await connector.apply(REVOKE_ROLE_SESSIONS.id, missing, {})
    assert not failed.ok and failed.error_code == "not_found"


async def test_an_unreachable_endpoint_fails_clearly_without_blocking_the_loop() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = AwsIamConnector(
        endpoint_url=f"http://127.0.0.1:{port}",
        max_attempts=1,
        timeout_s=2,
        access_key_id="x",
        secret_access_key="y",
    )
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    key = AffectedIdentity(
        "aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE", attributes=(("user", "u"),)
    )
    outcome = await connector.apply(DEACTIVATE_ACCESS_KEY.id, key, {})
    ticker.cancel()
    assert not outcome.ok and outcome.error_code == "unreachable"
    assert ticks > 1


async def test_unknown_action_is_a_programming_error(connector: AwsIamConnector) -> None:
    with pytest.raises(ValueError):
        await connector.plan("aws.iam.nope", AffectedIdentity("aws", IdentityKind.USER, "u"), {})


async def test_a_target_that_never_answers_is_a_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never answers
        port = silent.getsockname()[1]
        connector = AwsIamConnector(
            endpoint_url=f"http://127.0.0.1:{port}",
            max_attempts=1,
            timeout_s=1,
            access_key_id="x",
            secret_access_key="y",
        )
        key = AffectedIdentity(
            "aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE", attributes=(("user", "u"),)
        )
        outcome = await connector.apply(DEACTIVATE_ACCESS_KEY.id, key, {})
    assert not outcome.ok and outcome.error_code == "timeout"
