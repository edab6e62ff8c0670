"""AWS for the tests: moto in server mode on 127.0.0.1, spoken to over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(moto_server: str) -> Iterator[str]:
    """A clean AWS for each test."""
    httpx.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    yield moto_server


@pytest.fixture
def iam_admin(moto_endpoint: str) -> Any:
    """An admin client to arrange the account and assert on what moto holds."""
    return boto3.client(
        "iam",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


def inline_policy(iam: Any, kind: str, name: str, policy: str) -> dict[str, Any] | None:
    try:
        if kind == "user":
            answer = iam.get_user_policy(UserName=name, PolicyName=policy)
        else:
            answer = iam.get_role_policy(RoleName=name, PolicyName=policy)
    except iam.exceptions.NoSuchEntityException:
        return None
    document = answer["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else dict(document)


def key_status(iam: Any, user: str, key_id: str) -> str:
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    return str(next(k["Status"] for k in keys if k["AccessKeyId"] == key_id))
