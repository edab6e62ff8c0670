"""The Slack connector against the Slack admin stand-in, over real HTTP: a leaked token
revoked with itself (sealed until the one call), a user's sessions reset on Enterprise
Grid, Slack's ok:false errors as outcomes, 429 waited out within a bound."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from bot.secrets.sealing import Sealer
from connectors.slack_admin.connector import SlackAdminConnector
from tests.fakes.servers import ServedApp
from tests.fakes.slack_admin_api import SlackAdminStandIn

SEALER = Sealer(b"slack-test-sealing-secret-bytes!")


@pytest.fixture
def slack() -> Iterator[tuple[SlackAdminStandIn, str]]:
    stand_in = SlackAdminStandIn()
    with ServedApp(stand_in.app) as served:
        yield stand_in, f"{served.url}/api/"


def _connector(url: str, admin_token: str | None = None) -> SlackAdminConnector:
    return SlackAdminConnector(
        unseal=SEALER.unseal, admin_token=admin_token, api_url=url, attempts=3, verify_timeout_s=3
    )


@pytest.fixture
async def connector(slack: tuple[SlackAdminStandIn, str]) -> AsyncIterator[SlackAdminConnector]:
    stand_in, url = slack
    built = _connector(url, stand_in.issue_admin_token())
    yield built
    await built.aclose()


def _leaked(token: str) -> AffectedIdentity:
    sealed = SEALER.seal(token)
    return AffectedIdentity(
        "slack", IdentityKind.TOKEN, "leaked-bot-token", attributes=(("credential_sealed", sealed),)
    )


async def test_revoke_a_leaked_token_with_itself(
    slack: tuple[SlackAdminStandIn, str], connector: SlackAdminConnector
) -> None:
    stand_in, _ = slack
    token = stand_in.issue_bot_token()
    target = _leaked(token)
    plan = await connector.plan("slack.revoke_token", target, {})
    assert plan.changes == {"authenticates": False} and stand_in.live(token)
    assert plan.before["bot_id"] and token not in str(plan.before)
    first = await connector.apply("slack.revoke_token", target, {})
    assert first.ok and not stand_in.live(token) and token not in str(first)
    assert (await connector.apply("slack.revoke_token", target, {})).already
    assert (await connector.verify("slack.revoke_token", target, {})).confirmed
    undone = await connector.undo("slack.revoke_token", target, {}, plan.before)
    assert undone.error_code == "irreversible"
    assert [c for c in stand_in.calls if c[0] == "auth.revoke"] == [("auth.revoke", token)]


async def test_a_token_slack_never_issued_counts_as_dead_and_a_missing_one_is_refused(
    connector: SlackAdminConnector,
) -> None:
    unknown = _leaked("xoxb-0-0-not-issued-here")
    assert (await connector.apply("slack.revoke_token", unknown, {})).already
    bare = AffectedIdentity("slack", IdentityKind.TOKEN, "no-secret")
    assert (await connector.apply("slack.revoke_token", bare, {})).error_code == "invalid_target"


async def test_reset_a_users_sessions_on_grid(
    slack: tuple[SlackAdminStandIn, str], connector: SlackAdminConnector
) -> None:
    stand_in, _ = slack
    user = stand_in.add_member(sessions=3)
    target = AffectedIdentity("slack", IdentityKind.USER, user)
    plan = await connector.plan("slack.reset_user_sessions", target, {})
    assert plan.before == {"user_id": user, "team_id": "T0ACME", "sessions": 3}
    assert len(stand_in.members[user].sessions) == 3
    assert (await connector.apply("slack.reset_user_sessions", target, {})).ok
    assert stand_in.members[user].sessions == []
    assert (await connector.apply("slack.reset_user_sessions", target, {})).already
    assert (await connector.verify("slack.reset_user_sessions", target, {})).confirmed
    undone = await connector.undo("slack.reset_user_sessions", target, {}, plan.before)
    assert undone.error_code == "irreversible"
    resets = [c for c in stand_in.calls if c[0] == "admin.users.session.reset"]
    assert len(resets) == 1


async def test_slack_errors_are_clear_outcomes(slack: tuple[SlackAdminStandIn, str]) -> None:
    stand_in, url = slack
    user = stand_in.add_member(sessions=1)
    target = AffectedIdentity("slack", IdentityKind.USER, user, attributes=(("team_id", "T0ACME"),))
    unscoped = _connector(url, stand_in.issue_admin_token(frozenset({"admin.users:read"})))
    refused = await unscoped.apply("slack.reset_user_sessions", target, {})
    assert refused.error_code == "access_denied" and "admin.users:write" in refused.summary
    no_admin = _connector(url)
    missing = await no_admin.apply("slack.reset_user_sessions", target, {})
    assert (
        missing.error_code == "access_denied" and "BLASTWALL_SLACK_ADMIN_TOKEN" in missing.summary
    )
    stand_in.enterprise_id = None
    plain = _connector(url, stand_in.issue_admin_token())
    not_grid = await plain.apply("slack.reset_user_sessions", target, {})
    assert not_grid.error_code == "not_an_enterprise"
    assert stand_in.members[user].sessions, "nothing changed"
    for built in (unscoped, no_admin, plain):
        await built.aclose()


async def test_rate_limits_are_waited_out_within_a_bound(
    slack: tuple[SlackAdminStandIn, str], connector: SlackAdminConnector
) -> None:
    stand_in, _ = slack
    token = stand_in.issue_bot_token()
    stand_in.rate_limit("auth.revoke", times=2, retry_after=0)
    assert (await connector.apply("slack.revoke_token", _leaked(token), {})).ok
    assert not stand_in.live(token)
    other = stand_in.issue_bot_token()
    stand_in.rate_limit("auth.test", times=10, retry_after=0)
    failed = await connector.apply("slack.revoke_token", _leaked(other), {})
    assert failed.error_code == "throttled" and "after 3 attempts" in failed.summary
    assert stand_in.live(other)
