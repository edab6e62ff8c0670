"""Every AWS action against moto: plan changes nothing, apply changes the target once,
apply twice is harmless, verify sees it, undo restores or refuses, saying why."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.aws_iam.connector import AwsIamConnector
from connectors.aws_iam.policies import QUARANTINE_POLICY, REVOKE_SESSIONS_POLICY
from tests.fakes.moto_aws import CREDENTIALS, inline_policy, key_status

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture
def aws(moto_endpoint: str) -> AwsIamConnector:
    return AwsIamConnector(
        endpoint_url=moto_endpoint,
        verify_timeout_s=5,
        access_key_id=CREDENTIALS["aws_access_key_id"],
        secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


def _user_key(iam: Any, user: str = "ci") -> AffectedIdentity:
    iam.create_user(UserName=user)
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    return AffectedIdentity("aws", IdentityKind.ACCESS_KEY, key_id)


async def _contract(
    aws: AwsIamConnector,
    action: str,
    target: AffectedIdentity,
    observe: Any,
    before: object,
    after: object,
) -> dict[str, object]:
    plan = await aws.plan(action, target, {})
    assert not plan.no_op and observe() == before, "plan must change nothing"
    first = await aws.apply(action, target, {})
    assert first.ok and not first.already, first.summary
    assert observe() == after
    again = await aws.apply(action, target, {})
    assert again.ok and again.already
    verified = await aws.verify(action, target, {})
    assert verified.confirmed, verified.summary
    return dict(plan.before)


async def test_deactivate_key_refuses_to_re_enable_unless_a_false_positive(
    aws: AwsIamConnector, iam_admin: Any
) -> None:
    key = _user_key(iam_admin)
    snapshot = await _contract(
        aws,
        "aws.iam.deactivate_access_key",
        key,
        lambda: key_status(iam_admin, "ci", key.external_id),
        "Active",
        "Inactive",
    )
    refused = await aws.undo("aws.iam.deactivate_access_key", key, {}, snapshot)
    assert not refused.ok and refused.error_code == "unsafe" and "rotate" in refused.summary
    assert key_status(iam_admin, "ci", key.external_id) == "Inactive"
    restored = await aws.undo(
        "aws.iam.deactivate_access_key", key, {"confirm_false_positive": "true"}, snapshot
    )
    assert restored.ok and key_status(iam_admin, "ci", key.external_id) == "Active"


async def test_delete_key_is_irreversible(aws: AwsIamConnector, iam_admin: Any) -> None:
    key = _user_key(iam_admin)
    keys = lambda: len(iam_admin.list_access_keys(UserName="ci")["AccessKeyMetadata"])  # noqa: E731
    snapshot = await _contract(aws, "aws.iam.delete_access_key", key, keys, 1, 0)
    refused = await aws.undo("aws.iam.delete_access_key", key, {}, snapshot)
    assert refused.error_code == "irreversible"


async def test_quarantine_restores_the_prior_state(aws: AwsIamConnector, iam_admin: Any) -> None:
    iam_admin.create_user(UserName="shared")
    user = AffectedIdentity("aws", IdentityKind.SERVICE_ACCOUNT, "shared")

    def present() -> bool:
        return inline_policy(iam_admin, "user", "shared", QUARANTINE_POLICY) is not None

    snapshot = await _contract(aws, "aws.iam.quarantine_principal", user, present, False, True)
    restored = await aws.undo("aws.iam.quarantine_principal", user, {}, snapshot)
    assert restored.ok and not present()


async def test_console_login_removal_is_irreversible(aws: AwsIamConnector, iam_admin: Any) -> None:
    iam_admin.create_user(UserName="human-ish")
    iam_admin.create_login_profile(UserName="human-ish", Password="Example-Passw0rd!")
    user = AffectedIdentity("aws", IdentityKind.USER, "human-ish")

    def login() -> bool:
        try:
            iam_admin.get_login_profile(UserName="human-ish")
        except iam_admin.exceptions.NoSuchEntityException:
            return False
        return True

    snapshot = await _contract(aws, "aws.iam.remove_console_login", user, login, True, False)
    assert (await aws.undo("aws.iam.remove_console_login", user, {}, snapshot)).error_code == (
        "irreversible"
    )


async def test_blocking_role_assumption_restores_the_trust_policy(
    aws: AwsIamConnector, iam_admin: Any
) -> None:
    iam_admin.create_role(RoleName="agent-7", AssumeRolePolicyDocument=json.dumps(TRUST))
    role = AffectedIdentity("aws", IdentityKind.AGENT, "agent-7")

    def effect() -> str:
        doc = iam_admin.get_role(RoleName="agent-7")["Role"]["AssumeRolePolicyDocument"]
        return str(doc["Statement"][0]["Effect"])

    snapshot = await _contract(aws, "aws.iam.block_role_assumption", role, effect, "Allow", "Deny")
    restored = await aws.undo("aws.iam.block_role_assumption", role, {}, snapshot)
    assert restored.ok and effect() == "Allow"


async def test_session_revocation_cannot_be_lifted_early(
    aws: AwsIamConnector, iam_admin: Any
) -> None:
    iam_admin.create_role(RoleName="agent-8", AssumeRolePolicyDocument=json.dumps(TRUST))
    role = AffectedIdentity("aws", IdentityKind.ROLE, "agent-8")
    first = await aws.apply("aws.iam.revoke_role_sessions", role, {})
    assert first.ok
    assert inline_policy(iam_admin, "role", "agent-8", REVOKE_SESSIONS_POLICY) is not None
    assert (await aws.verify("aws.iam.revoke_role_sessions", role, {})).confirmed
    refused = await aws.undo(
        "aws.iam.revoke_role_sessions",
        role,
        {},
        {"role": "agent-8", "revoked_before": None, "policy": None},
    )
    assert not refused.ok and refused.error_code == "unsafe" and "valid until" in refused.summary
    assert inline_policy(iam_admin, "role", "agent-8", REVOKE_SESSIONS_POLICY) is not None
