"""The connectors' worker threads: exactly as many as ``BLASTWALL_BULK_CONCURRENCY``,
so a bulk containment's blocking IAM calls never queue for a thread; the AWS
connector's boto3 calls run on them; they stop when the app stops."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.app import build, create_app
from bot.config import Settings
from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.fakes.moto_aws import CREDENTIALS
from tests.fakes.servers import ServedApp

BOUND_S = 60  # a pool smaller than the setting would leave the barrier waiting


def _settings(tmp_path: Path, concurrency: int) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}",
        signing_key=tmp_path / "signing.pem",
        bulk_concurrency=concurrency,
    )


def _meet(together: threading.Barrier) -> int:
    together.wait()
    return threading.get_ident()


@pytest.mark.parametrize("concurrency", [3, 12])
async def test_the_pool_has_as_many_threads_as_the_bulk_concurrency(
    tmp_path: Path, concurrency: int
) -> None:
    wired = build(_settings(tmp_path, concurrency), environ={})
    threads = wired.connector_threads
    assert threads is not None and threads.size == concurrency
    assert wired.services.bulk_concurrency == concurrency
    try:
        together = threading.Barrier(concurrency, timeout=BOUND_S)  # all at once, or none
        met = await asyncio.gather(*(threads.run(_meet, together) for _ in range(concurrency)))
        assert len(set(met)) == concurrency
        more = await asyncio.gather(*(threads.run(threading.get_ident) for _ in range(50)))
        assert set(more) <= set(met)  # never more threads than the setting
    finally:
        threads.shutdown()


def test_the_bulk_concurrency_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bulk_concurrency"):
        _settings(tmp_path, 0)


async def test_the_aws_connector_calls_on_the_pool_until_the_app_stops(
    tmp_path: Path, moto_endpoint: str, iam_admin: Any
) -> None:
    environ = {
        "BLASTWALL_AWS_ENDPOINT_URL": moto_endpoint,
        "BLASTWALL_AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "BLASTWALL_AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }
    wired = build(_settings(tmp_path, 4), environ=environ)
    aws = wired.services.connectors["aws_iam"]
    iam_admin.create_user(UserName="ci")
    key_id = iam_admin.create_access_key(UserName="ci")["AccessKey"]["AccessKeyId"]
    key = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, key_id)
    with ServedApp(create_app(wired)):
        plan = await aws.plan(DEACTIVATE_ACCESS_KEY.id, key, {})
        assert not plan.no_op
    with pytest.raises(RuntimeError, match="shutdown"):  # stopped with the app
        await aws.plan(DEACTIVATE_ACCESS_KEY.id, key, {})
