"""The GitHub connector's activity port against the REST stand-in, over real HTTP:
the organisation audit log searched by the leaked token's hash (or the actor),
paged through its Link header, bounded, and its refusals reported."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.activity import ActivityUnavailable, ActivityWindow
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.ports import ActivitySource
from bot.secrets.sealing import Sealer
from connectors.github.audit import PER_PAGE
from connectors.github.connector import GitHubConnector
from tests.fakes.github_api import GitHubStandIn
from tests.fakes.servers import ServedApp

SEALER = Sealer(b"github-test-sealing-secret-bytes")
ORG = "acme"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def github() -> Iterator[tuple[GitHubStandIn, str]]:
    stand_in = GitHubStandIn()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def _connector(stand_in: GitHubStandIn, url: str) -> GitHubConnector:
    return GitHubConnector(
        api_url=url,
        app_id=stand_in.app_id,
        private_key_pem=stand_in.private_key_pem(),
        installation_id=stand_in.add_installation(ORG),
        unseal=SEALER.unseal,
        attempts=2,
    )


def _hash(token: str) -> str:
    return base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()


def _window(max_events: int = 100) -> ActivityWindow:
    return ActivityWindow(NOW - timedelta(hours=2), NOW, max_events)


async def test_a_leaked_tokens_events_by_its_hash_over_pages(
    github: tuple[GitHubStandIn, str],
) -> None:
    stand_in, url = github
    token = stand_in.leak_token()
    for minutes in range(PER_PAGE + 5, 0, -1):  # more than one page, oldest first
        stand_in.add_audit_event(
            ORG,
            "git.clone",
            "leaky-bot",
            NOW - timedelta(seconds=minutes),
            hashed_token=_hash(token),
        )
    stand_in.add_audit_event(ORG, "repo.create", "someone", NOW - timedelta(minutes=5))
    stand_in.add_audit_event(
        ORG, "git.push", "leaky-bot", NOW - timedelta(days=2), hashed_token=_hash(token)
    )
    leaked = AffectedIdentity(
        "github",
        IdentityKind.TOKEN,
        "leaked-in-repo",
        attributes=(("credential_sealed", SEALER.seal(token)), ("org", ORG)),
    )
    gh = _connector(stand_in, url)
    assert isinstance(gh, ActivitySource) and gh.covers(leaked)
    report = await gh.activity(leaked, _window(max_events=200))
    assert len(report.events) == PER_PAGE + 5 and not report.truncated
    assert {e.name for e in report.events} == {"git.clone"} and report.source == "github.audit_log"
    assert [e.at for e in report.events] == sorted(e.at for e in report.events)
    first, second = stand_in.audit_queries
    assert first["phrase"].startswith(f'hashed_token:"{_hash(token)}" created:>=')
    assert (first["include"], first["per_page"], first["order"]) == ("all", "100", "asc")
    assert "after" in second and token not in str(report.query)

    bounded = await gh.activity(leaked, _window(max_events=3))
    assert len(bounded.events) == 3 and bounded.truncated


async def test_an_actor_is_searched_by_login_and_refusals_are_unavailable(
    github: tuple[GitHubStandIn, str],
) -> None:
    stand_in, url = github
    stand_in.add_audit_event(ORG, "repo.download_zip", "deploy[bot]", NOW - timedelta(minutes=1))
    app = AffectedIdentity(
        "github",
        IdentityKind.APP_INSTALLATION,
        "77",
        attributes=(("actor", "deploy[bot]"), ("org", ORG)),
    )
    gh = _connector(stand_in, url)
    report = await gh.activity(app, _window())
    assert [(e.name, e.actor) for e in report.events] == [("repo.download_zip", "deploy[bot]")]
    assert stand_in.audit_queries[0]["phrase"].startswith("actor:deploy[bot] ")
    stand_in.fail_next(2, 500)
    with pytest.raises(ActivityUnavailable, match="HTTP 500"):
        await gh.activity(app, _window())
    no_org = AffectedIdentity("github", IdentityKind.TOKEN, "x", attributes=(("actor", "a"),))
    assert not gh.covers(no_org)
