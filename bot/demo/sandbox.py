"""The demo sandbox: moto emulating AWS on 127.0.0.1 with one leaked access key,
the demo playbook, three console users and an alert that declares the incident."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.actors import Actor
from bot.core.commands import DeclareIncident
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity

PLAYBOOKS = Path(__file__).parent / "playbooks"
USERS = "alice=console:alice,bob=console:bob,carol=console:carol"
CREDENTIALS = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo"}


class DemoUnavailable(Exception):
    pass


@dataclass
class Sandbox:
    endpoint: str
    user: str
    key_id: str
    server: Any

    def alert(self) -> DeclareIncident:
        return DeclareIncident(
            title="AWS access key pushed to a public repository",
            source="github-secret-scanning",
            declared_by=Actor("alert", "github-secret-scanning"),
            identities=(
                AffectedIdentity(
                    "aws",
                    IdentityKind.ACCESS_KEY,
                    self.key_id,
                    owner="payments",
                    workload="ci-deployer",
                    issuing_system="aws-iam",
                    attributes=(("user", self.user),),
                ),
            ),
            severity=Severity.SEV2,
            summary="GitHub secret scanning found the key in a public commit.",
        )

    def environ(self) -> dict[str, str]:
        return {
            "BLASTWALL_AWS_ENDPOINT_URL": self.endpoint,
            "BLASTWALL_AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "BLASTWALL_AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "BLASTWALL_PLAYBOOKS": str(PLAYBOOKS),
            "BLASTWALL_CONSOLE_USERS": USERS,
        }

    def stop(self) -> None:
        self.server.stop()


def start_sandbox() -> Sandbox:
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise DemoUnavailable("the demo needs its extra: pip install -e '.[demo]'") from exc
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )
    iam.create_user(UserName="ci-deployer")
    key = iam.create_access_key(UserName="ci-deployer")["AccessKey"]["AccessKeyId"]
    return Sandbox(endpoint, "ci-deployer", str(key), server)


def fresh_database(workdir: Path) -> str:
    path = workdir / "blastwall-demo.db"
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if stale.exists():
            os.remove(stale)
    return f"sqlite+aiosqlite:///{path.resolve()}"
