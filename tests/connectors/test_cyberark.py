"""The CyberArk connector against the PVWA stand-in, over real HTTP: every live session
of one identity in one action, logon (Vault user or OAuth), expiry, errors, throttling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors import registry
from connectors.cyberark.connector import CyberArkConnector
from connectors.cyberark.logon import ClientCredentialsLogon, VaultUserLogon
from tests.fakes.cyberark_api import CyberArkStandIn
from tests.fakes.servers import ServedApp

TERMINATE, SUSPEND = "cyberark.terminate_live_sessions", "cyberark.suspend_live_sessions"
ACCOUNT = AffectedIdentity(
    "cyberark", IdentityKind.SERVICE_ACCOUNT, "svc-db-admin", attributes=(("address", "db01"),)
)


@pytest.fixture
def pvwa() -> Iterator[tuple[CyberArkStandIn, str]]:
    stand_in = CyberArkStandIn()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def _connector(url: str, password: str = "vault-user-password-for-tests") -> CyberArkConnector:
    return CyberArkConnector(
        url=url, logon=VaultUserLogon("blastwall-svc", password), attempts=4, verify_timeout_s=3
    )


def _sessions(stand_in: CyberArkStandIn, count: int, account: str = "svc-db-admin") -> list[str]:
    return [stand_in.open_session("agent-7", account, "db01") for _ in range(count)]


def _listed(value: object) -> list[dict[str, object]]:
    assert isinstance(value, list) and all(isinstance(v, dict) for v in value)
    return value


async def test_terminate_every_live_session_of_an_account_as_one_action(
    pvwa: tuple[CyberArkStandIn, str],
) -> None:
    stand_in, url = pvwa
    ids = _sessions(stand_in, 3)
    other = stand_in.open_session("agent-7", "svc-web", "web01")
    elsewhere = stand_in.open_session("alice", "svc-db-admin", "db02")
    cyberark = _connector(url)
    plan = await cyberark.plan(TERMINATE, ACCOUNT, {})
    assert [s["id"] for s in _listed(plan.before["live_sessions"])] == ids
    assert plan.changes == {"live_sessions": []} and len(stand_in.sessions) == 5
    outcome = await cyberark.apply(TERMINATE, ACCOUNT, {})
    assert outcome.ok and outcome.summary == "svc-db-admin: 3 live session(s) terminated"
    assert outcome.after["sessions"] == [{"id": i, "result": "terminated"} for i in ids]
    assert set(stand_in.sessions) == {other, elsewhere} and stand_in.ended == ids
    assert (await cyberark.apply(TERMINATE, ACCOUNT, {})).already
    assert (await cyberark.verify(TERMINATE, ACCOUNT, {})).confirmed
    refused = await cyberark.undo(TERMINATE, ACCOUNT, {}, plan.before)
    assert not refused.ok and refused.error_code == "irreversible"
    assert stand_in.logons == 1
    await cyberark.aclose()
    assert stand_in.tokens == set() and stand_in.calls[-1] == (
        "POST",
        "/PasswordVault/API/Auth/Logoff",
    )


async def test_a_session_that_cannot_be_terminated_is_listed_in_a_partial_outcome(
    pvwa: tuple[CyberArkStandIn, str],
) -> None:
    stand_in, url = pvwa
    first = stand_in.open_session("agent-7", "svc-db-admin", "db01")
    stuck = stand_in.open_session("agent-7", "svc-db-admin", "db01", may_terminate=False)
    outcome = await _connector(url).apply(TERMINATE, ACCOUNT, {})
    assert not outcome.ok and outcome.error_code == "partial"
    assert outcome.after["sessions"] == [
        {"id": first, "result": "terminated"},
        {"id": stuck, "result": "failed: PASWS209E (HTTP 403)"},
    ]
    assert outcome.after["terminated"] == 1 and outcome.after["failed"] == 1
    assert stuck in outcome.summary and list(stand_in.sessions) == [stuck]
    assert [s["id"] for s in _listed(outcome.before["live_sessions"])] == [first, stuck]


async def test_an_outage_midway_still_lists_what_was_terminated(
    pvwa: tuple[CyberArkStandIn, str],
) -> None:
    stand_in, url = pvwa
    first, second = _sessions(stand_in, 2)
    stand_in.fail_next(10, 500, only=f"/{second}/")
    outcome = await _connector(url).apply(TERMINATE, ACCOUNT, {})
    assert not outcome.ok and outcome.error_code == "partial"
    assert outcome.after["sessions"] == [
        {"id": first, "result": "terminated"},
        {"id": second, "result": "failed: unavailable"},
    ]
    assert stand_in.ended == [first] and list(stand_in.sessions) == [second]


async def test_suspend_every_session_and_undo_resumes_only_those(
    pvwa: tuple[CyberArkStandIn, str],
) -> None:
    stand_in, url = pvwa
    ids = _sessions(stand_in, 2)
    held = stand_in.open_session("agent-7", "svc-db-admin", "db01")
    stand_in.sessions[held].suspended = True  # suspended earlier by a PAM analyst
    cyberark = _connector(url)
    plan = await cyberark.plan(SUSPEND, ACCOUNT, {})
    assert plan.changes == {"suspended": ids} and stand_in.suspended() == [held]
    outcome = await cyberark.apply(SUSPEND, ACCOUNT, {})
    assert outcome.ok and outcome.after["suspended"] == 2
    assert sorted(stand_in.suspended()) == sorted([*ids, held])
    assert (await cyberark.apply(SUSPEND, ACCOUNT, {})).already
    assert (await cyberark.verify(SUSPEND, ACCOUNT, {})).confirmed
    undone = await cyberark.undo(SUSPEND, ACCOUNT, {}, plan.before)
    assert undone.ok and undone.after["sessions"] == [{"id": i, "result": "resumed"} for i in ids]
    assert stand_in.suspended() == [held]


async def test_undo_after_a_session_ended_says_so(pvwa: tuple[CyberArkStandIn, str]) -> None:
    stand_in, url = pvwa
    gone, kept = _sessions(stand_in, 2)
    cyberark = _connector(url)
    plan = await cyberark.plan(SUSPEND, ACCOUNT, {})
    assert (await cyberark.apply(SUSPEND, ACCOUNT, {})).ok
    del stand_in.sessions[gone]  # the user logged out while suspended
    undone = await cyberark.undo(SUSPEND, ACCOUNT, {}, plan.before)
    assert undone.ok
    assert undone.after["sessions"] == [
        {"id": gone, "result": "ended"},
        {"id": kept, "result": "resumed"},
    ]


async def test_an_agents_sessions_are_found_by_its_vault_user(
    pvwa: tuple[CyberArkStandIn, str],
) -> None:
    stand_in, url = pvwa
    mine = [
        stand_in.open_session("agent-7", "root", "db01"),
        stand_in.open_session("agent-7", "Administrator", "win01", "RDP"),
    ]
    theirs = stand_in.open_session("agent-77", "root", "db01")
    agent = AffectedIdentity("cyberark", IdentityKind.AGENT, "agent-7")
    assert (await _connector(url).apply(TERMINATE, agent, {})).ok
    assert stand_in.ended == mine and list(stand_in.sessions) == [theirs]


async def test_many_sessions_are_read_page_by_page(pvwa: tuple[CyberArkStandIn, str]) -> None:
    stand_in, url = pvwa
    ids = _sessions(stand_in, 130)
    outcome = await _connector(url).apply(TERMINATE, ACCOUNT, {})
    assert outcome.ok and len(_listed(outcome.after["sessions"])) == 130
    assert stand_in.ended == ids
    pages = [c for c in stand_in.calls if c == ("GET", "/PasswordVault/API/LiveSessions")]
    assert len(pages) == 2


async def test_an_expired_token_is_met_with_one_fresh_logon(
    pvwa: tuple[CyberArkStandIn, str],
) -> None:
    stand_in, url = pvwa
    ids = _sessions(stand_in, 1)
    cyberark = _connector(url)
    assert (await cyberark.plan(TERMINATE, ACCOUNT, {})).changes
    stand_in.expire_tokens()
    assert (await cyberark.apply(TERMINATE, ACCOUNT, {})).ok
    assert stand_in.ended == ids and stand_in.logons == 2


async def test_a_wrong_password_is_a_clear_refusal_and_changes_nothing(
    pvwa: tuple[CyberArkStandIn, str],
) -> None:
    stand_in, url = pvwa
    _sessions(stand_in, 2)
    outcome = await _connector(url, password="not-the-password").apply(TERMINATE, ACCOUNT, {})
    assert not outcome.ok and outcome.error_code == "access_denied"
    assert "ITATS004E" in outcome.summary and "not-the-password" not in outcome.summary
    assert len(stand_in.sessions) == 2 and stand_in.ended == []


async def test_privilege_cloud_client_credentials(pvwa: tuple[CyberArkStandIn, str]) -> None:
    stand_in, url = pvwa
    ids = _sessions(stand_in, 2)
    token_url = f"{url}/oauth2/platformtoken"
    good = CyberArkConnector(
        url=url,
        logon=ClientCredentialsLogon(
            token_url, "blastwall@tenant.example", "identity-client-secret-for-tests"
        ),
    )
    assert (await good.apply(TERMINATE, ACCOUNT, {})).ok and stand_in.ended == ids
    _sessions(stand_in, 1)
    bad = CyberArkConnector(
        url=url, logon=ClientCredentialsLogon(token_url, "blastwall@tenant.example", "wrong")
    )
    refused = await bad.apply(TERMINATE, ACCOUNT, {})
    assert refused.error_code == "access_denied" and "invalid_client" in refused.summary
    assert len(stand_in.sessions) == 1


async def test_throttling_is_retried_within_its_bound(pvwa: tuple[CyberArkStandIn, str]) -> None:
    stand_in, url = pvwa
    ids = _sessions(stand_in, 1)
    cyberark = _connector(url)
    stand_in.fail_next(2, 429)
    assert (await cyberark.apply(TERMINATE, ACCOUNT, {})).ok and stand_in.ended == ids
    _sessions(stand_in, 1)
    stand_in.fail_next(10, 500)
    failed = await cyberark.apply(TERMINATE, ACCOUNT, {})
    assert not failed.ok and failed.error_code == "unavailable"
    assert "after 4 attempts" in failed.summary and len(stand_in.sessions) == 1


async def test_an_identity_of_another_system_is_refused(pvwa: tuple[CyberArkStandIn, str]) -> None:
    stand_in, url = pvwa
    _sessions(stand_in, 1)
    aws = AffectedIdentity("aws", IdentityKind.SERVICE_ACCOUNT, "svc-db-admin")
    outcome = await _connector(url).apply(TERMINATE, aws, {})
    assert outcome.error_code == "invalid_target" and len(stand_in.sessions) == 1


def test_configuration_chooses_the_logon_and_refuses_half_of_one() -> None:
    base = {"BLASTWALL_CYBERARK_URL": "http://127.0.0.1:9"}
    assert "cyberark" not in registry.build_connectors({}, str)
    with pytest.raises(ValueError, match="BLASTWALL_CYBERARK_PASSWORD"):
        registry.build_connectors({**base, "BLASTWALL_CYBERARK_USERNAME": "svc"}, str)
    with pytest.raises(ValueError, match="cyberark or oauth"):
        registry.build_connectors({**base, "BLASTWALL_CYBERARK_AUTH": "saml"}, str)
    oauth = {
        **base,
        "BLASTWALL_CYBERARK_AUTH": "oauth",
        "BLASTWALL_CYBERARK_CLIENT_ID": "id",
        "BLASTWALL_CYBERARK_CLIENT_SECRET": "secret",
        "BLASTWALL_CYBERARK_TOKEN_URL": "http://127.0.0.1:9/oauth2/platformtoken",
    }
    assert registry.build_connectors(oauth, str)["cyberark"].name == "cyberark"
