"""The GitHub connector against the REST stand-in, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from bot.secrets.sealing import Sealer
from connectors.github.connector import GitHubConnector
from tests.fakes.github_api import GitHubStandIn
from tests.fakes.servers import ServedApp

SEALER = Sealer(b"github-test-sealing-secret-bytes")


@pytest.fixture
def github() -> Iterator[tuple[GitHubStandIn, str]]:
    stand_in = GitHubStandIn()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def _connector(
    stand_in: GitHubStandIn, url: str, installation: str | None = None, attempts: int = 4
) -> GitHubConnector:
    return GitHubConnector(
        api_url=url,
        app_id=stand_in.app_id,
        private_key_pem=stand_in.private_key_pem(),
        installation_id=installation,
        unseal=SEALER.unseal,
        attempts=attempts,
        verify_timeout_s=3,
    )


async def test_revoke_a_leaked_token(github: tuple[GitHubStandIn, str]) -> None:
    stand_in, url = github
    gh = _connector(stand_in, url)
    token = stand_in.leak_token()
    target = AffectedIdentity(
        "github",
        IdentityKind.TOKEN,
        "leaked-in-repo",
        attributes=(("credential_sealed", SEALER.seal(token)),),
    )
    plan = await gh.plan("github.revoke_credential", target, {})
    assert plan.changes == {"authenticates": False} and stand_in.tokens[token]
    assert (await gh.apply("github.revoke_credential", target, {})).ok
    assert stand_in.tokens[token] is False
    assert (await gh.apply("github.revoke_credential", target, {})).already
    assert (await gh.verify("github.revoke_credential", target, {})).confirmed
    assert (await gh.undo("github.revoke_credential", target, {}, plan.before)).error_code == (
        "irreversible"
    )
    assert stand_in.calls.count(("POST", "/credentials/revoke")) == 1


async def test_suspend_an_installation_and_undo(github: tuple[GitHubStandIn, str]) -> None:
    stand_in, url = github
    gh = _connector(stand_in, url)
    installation = stand_in.add_installation("acme")
    target = AffectedIdentity("github", IdentityKind.APP_INSTALLATION, installation)
    plan = await gh.plan("github.suspend_installation", target, {})
    assert plan.before == {"account": "acme", "suspended": False}
    assert stand_in.installations[installation]["suspended_at"] is None
    assert (await gh.apply("github.suspend_installation", target, {})).ok
    assert stand_in.installations[installation]["suspended_at"] is not None
    assert (await gh.apply("github.suspend_installation", target, {})).already
    assert (await gh.verify("github.suspend_installation", target, {})).confirmed
    assert (await gh.undo("github.suspend_installation", target, {}, plan.before)).ok
    assert stand_in.installations[installation]["suspended_at"] is None


async def test_revoke_a_fine_grained_token_from_the_org(
    github: tuple[GitHubStandIn, str],
) -> None:
    stand_in, url = github
    installation = stand_in.add_installation("acme")
    gh = _connector(stand_in, url, installation)
    pat = stand_in.add_pat("acme", "agent-bot")
    target = AffectedIdentity("github", IdentityKind.TOKEN, pat, attributes=(("org", "acme"),))
    assert (await gh.plan("github.revoke_pat_org_access", target, {})).changes
    assert (await gh.apply("github.revoke_pat_org_access", target, {})).ok
    assert stand_in.org_pats["acme"] == []
    assert (await gh.apply("github.revoke_pat_org_access", target, {})).already


async def test_throttling_is_retried_within_its_bound(github: tuple[GitHubStandIn, str]) -> None:
    stand_in, url = github
    gh = _connector(stand_in, url, attempts=4)
    installation = stand_in.add_installation("acme")
    target = AffectedIdentity("github", IdentityKind.APP_INSTALLATION, installation)
    stand_in.fail_next(2, 429)
    assert (await gh.apply("github.suspend_installation", target, {})).ok
    stand_in.fail_next(10, 500)
    failed = await gh.undo("github.suspend_installation", target, {}, {"suspended": False})
    assert not failed.ok and failed.error_code == "unavailable"
    assert "after 4 attempts" in failed.summary


async def test_a_wrong_app_key_is_a_clear_refusal(github: tuple[GitHubStandIn, str]) -> None:
    stand_in, url = github
    impostor = GitHubStandIn()
    gh = GitHubConnector(
        api_url=url,
        app_id=stand_in.app_id,
        private_key_pem=impostor.private_key_pem(),
        installation_id=None,
        unseal=SEALER.unseal,
    )
    installation = stand_in.add_installation("acme")
    target = AffectedIdentity("github", IdentityKind.APP_INSTALLATION, installation)
    outcome = await gh.apply("github.suspend_installation", target, {})
    assert not outcome.ok and outcome.error_code == "access_denied"
    assert stand_in.installations[installation]["suspended_at"] is None
