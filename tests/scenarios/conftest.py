from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_api import GitHubStandIn
from tests.fakes.moto_aws import iam_admin, moto_endpoint, moto_server
from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_api import SlackStandIn
from tests.scenarios.harness import Blastwall, base_env

__all__ = ["iam_admin", "moto_endpoint", "moto_server"]

IC, IAM, OUTSIDER, MANAGER = "UCOMMANDER1", "UIAMENG01", "UOUTSIDER1", "UMANAGER01"
SLACK_TOKEN = "xoxb-test-0000000000-blastwall"
SLACK_SECRET = "test-signing-secret-0123456789abcdef"

PLAYBOOK = f"""\
name: scenario-leaked-key
title: Leaked cloud access key
trigger:
  sources: [github-secret-scanning]
  manual: true
  identity:
    systems: [aws]
    kinds: [access_key]
  min_severity: SEV3
default_severity: SEV2
commander:
  user: "slack:{IC}"
groups:
  iam: ["slack:{IAM}"]
rights:
  nhi.credential-lifecycle: ["group:iam"]
  audit: ["slack:{IC}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
    frameworks:
      nist_csf: [RS.MI-01]
"""

GITHUB_PLAYBOOK = f"""\
name: scenario-github-app
title: Compromised GitHub App installation
trigger:
  sources: [github-audit-log]
  identity:
    systems: [github]
    kinds: [app_installation]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  ir.containment: ["slack:{IAM}"]
actions:
  - action: github.suspend_installation
    label: Suspend installation
"""

GATED_PLAYBOOK = f"""\
name: scenario-shared-account
title: Shared service account
trigger:
  sources: [nhi-inventory]
  identity:
    systems: [aws]
    kinds: [service_account]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  iam.policy: ["slack:{IAM}"]
  approve: ["slack:{MANAGER}", "slack:{IAM}"]
actions:
  - action: aws.iam.quarantine_principal
    label: Quarantine shared account
    approval:
      approvers: 1
      ttl_minutes: 30
known_users:
  "aws:service_account:vendor-svc": ["carol (finance)"]
vendor:
  name: Acme Payroll
  contact: "support@acme.example, P1 queue"
  steps:
    - id: rotate-integration-key
      label: Rotate the integration key
"""

GATED_KEYS_PLAYBOOK = f"""\
name: scenario-gated-keys
title: Leaked production keys, deactivated under approval
trigger:
  sources: [leak-audit]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
  approve: ["slack:{MANAGER}"]
  audit: ["slack:{IC}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
    approval:
      approvers: 1
      ttl_minutes: 30
    frameworks:
      nist_csf: [RS.MI-01]
      owasp_agentic: [ASI03]
frameworks:
  nist_csf: [RS.MA-01]
"""

NON_PRODUCTION_PLAYBOOK = f"""\
name: scenario-staging-key
title: Staging access key, infrastructure leads
environment: non-production
trigger:
  sources: [github-secret-scanning]
  environments: [non-production]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV3
commander:
  user: "slack:{IAM}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
  approve: ["slack:{MANAGER}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
room:
  private: false
  archive_on_close: false
"""


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    stand_in = GitHubStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn(SLACK_TOKEN, users=[IC, IAM, OUTSIDER, MANAGER])
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


def _scenario_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """More settings for the ``blastwall`` process, from a ``scenario_env`` fixture when
    the test module defines one (looked up, so modules importing ``blastwall`` need none)."""
    try:
        return dict(request.getfixturevalue("scenario_env"))
    except pytest.FixtureLookupError:
        return {}


@pytest.fixture
def blastwall(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    slack: SlackStandIn,
    github: GitHubStandIn,
    moto_endpoint: str,
    iam_admin: Any,
    database_url: str,
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "leaked.yaml").write_text(PLAYBOOK)
    (playbooks / "shared.yaml").write_text(GATED_PLAYBOOK)
    (playbooks / "github.yaml").write_text(GITHUB_PLAYBOOK)
    (playbooks / "gated-keys.yaml").write_text(GATED_KEYS_PLAYBOOK)
    (playbooks / "staging.yaml").write_text(NON_PRODUCTION_PLAYBOOK)
    (tmp_path / "github-app.pem").write_text(github.private_key_pem())
    env = base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN="intake-token-for-tests",
        BLASTWALL_GITHUB_WEBHOOK_SECRET="github-webhook-secret-for-tests",
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_NOTICE_RETRY="4",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_AWS_ENDPOINT_URL=moto_endpoint,
        BLASTWALL_AWS_ACCESS_KEY_ID="testing",
        BLASTWALL_AWS_SECRET_ACCESS_KEY="testing",
        BLASTWALL_AWS_RATE_PER_S="100",
        BLASTWALL_GITHUB_APP_ID=github.app_id,
        BLASTWALL_GITHUB_APP_PRIVATE_KEY=str(tmp_path / "github-app.pem"),
        BLASTWALL_GITHUB_API_URL=github.url,  # type: ignore[attr-defined]
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",  # type: ignore[attr-defined]
        **_scenario_env(request),
    )
    service = Blastwall(
        workdir=tmp_path,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=iam_admin,
        slack_secret=SLACK_SECRET,
        intake_token="intake-token-for-tests",
        database_url=database_url,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()
