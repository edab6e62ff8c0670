"""The anchors of a real ``blastwall serve``: an alert in, and within a bounded
wait the signed head is in the Slack channel and its checkpoint carries an
RFC 3161 token that ``evidence verify --tsa-cert`` accepts."""

from __future__ import annotations

import zipfile
from pathlib import Path

import httpx
import pytest

from tests.fakes.slack_api import SlackStandIn
from tests.integrity.conftest import TsaSwitch
from tests.scenarios.conftest import blastwall, github, iam_admin, moto_endpoint, moto_server, slack
from tests.scenarios.harness import Blastwall, eventually

__all__ = ["blastwall", "github", "iam_admin", "moto_endpoint", "moto_server", "slack"]
pytestmark = pytest.mark.db
ORIGIN = "blastwall.example.test"


def _alert(key_id: str) -> dict[str, object]:
    return {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }


async def test_served_checkpoints_are_witnessed_in_the_channel_and_timestamped(
    blastwall: Blastwall, slack: SlackStandIn, tsa: tuple[TsaSwitch, str], tmp_path: Path
) -> None:
    switch, tsa_url = tsa
    blastwall.stop()
    blastwall.env.update(
        BLASTWALL_TSA_URL=tsa_url,
        BLASTWALL_PUBLIC_URL=f"https://{ORIGIN}/",
        BLASTWALL_ANCHOR_INTERVAL="0.2",
    )
    blastwall.start()
    key_id = blastwall.aws_key("ci-deployer")
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=_alert(key_id), headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident.lower()))

    def witnessed() -> list[str]:
        return [m.text for m in slack.messages_in(channel.id) if m.text.startswith(ORIGIN)]

    posted = (await eventually(witnessed))[0]
    await eventually(lambda: switch.authority.issued >= 1)

    (tmp_path / "tsa-root.pem").write_bytes(switch.authority.ca_pem)
    exported = blastwall.cli("evidence", "export", incident, "-o", "b.zip")
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(tmp_path / "b.zip") as bundle:
        first = bundle.read("checkpoints/000001.note").decode()
    assert posted == " ".join(first.splitlines()[:3])
    assert posted.startswith(f"{ORIGIN}/{incident} ")
    public = blastwall.cli("evidence", "public-key")
    (tmp_path / "public-key.pem").write_text(public.stdout)
    (tmp_path / "witness.log").write_text("\n".join(witnessed()) + "\n")
    verified = blastwall.cli(
        "evidence",
        "verify",
        "b.zip",
        "--key",
        "public-key.pem",
        "--tsa-cert",
        "tsa-root.pem",
        "--witness-log",
        "witness.log",
    )
    assert verified.returncode == 0, verified.stderr
    assert "timestamped by the TSA" in verified.stdout
    assert "agrees with" in verified.stdout and "witness log" in verified.stdout
