"""Blastwall as a real process on a SQLite file (so its bytes can be searched),
with the Slack and AWS stand-ins the scenarios use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.moto_aws import iam_admin, moto_endpoint, moto_server
from tests.fakes.servers import free_port
from tests.fakes.slack_api import SlackStandIn
from tests.scenarios.conftest import GATED_PLAYBOOK, PLAYBOOK, SLACK_SECRET, SLACK_TOKEN, slack
from tests.scenarios.harness import Blastwall, base_env

__all__ = ["iam_admin", "moto_endpoint", "moto_server", "slack"]
from tests.fakes.openbao import bao, openbao

__all__ += ["bao", "openbao"]
INTAKE = "intake-token-for-tests"


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    return tmp_path / "blastwall.db"


@pytest.fixture
def blastwall(
    tmp_path: Path, slack: SlackStandIn, moto_endpoint: str, iam_admin: Any, sqlite_file: Path
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "leaked.yaml").write_text(PLAYBOOK)
    (playbooks / "shared.yaml").write_text(GATED_PLAYBOOK)
    url = f"sqlite+aiosqlite:///{sqlite_file}"
    env = base_env(
        BLASTWALL_DATABASE_URL=url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN=INTAKE,
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_AWS_ENDPOINT_URL=moto_endpoint,
        BLASTWALL_AWS_ACCESS_KEY_ID="testing",
        BLASTWALL_AWS_SECRET_ACCESS_KEY="testing",
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",  # type: ignore[attr-defined]
    )
    service = Blastwall(
        workdir=tmp_path,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=iam_admin,
        slack_secret=SLACK_SECRET,
        intake_token=INTAKE,
        database_url=url,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()
