"""The Okta connector against the Management API stand-in, over real HTTP, as an API
service app with a private-key JWT: plan changes nothing, apply changes the target
once, apply twice is harmless, verify sees it, undo restores or refuses; rate limits
and a key Okta does not know."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.okta.client import ASSERTION_TYPE, OktaClient
from connectors.okta.connector import OktaConnector
from tests.fakes.okta_api import OktaStandIn, ServiceApp
from tests.fakes.servers import ServedApp


@pytest.fixture
def stand_in() -> Iterator[OktaStandIn]:
    okta = OktaStandIn()
    with ServedApp(okta.app) as served:
        okta.url = served.url  # type: ignore[attr-defined]
        yield okta


def _connector(okta: OktaStandIn, app: ServiceApp, attempts: int = 4) -> OktaConnector:
    return OktaConnector(
        org_url=okta.url,  # type: ignore[attr-defined]
        client_id=app.client_id,
        private_key_pem=app.private_key_pem,
        key_id=app.kid,
        attempts=attempts,
        verify_timeout_s=3,
    )


@pytest.fixture
async def okta(stand_in: OktaStandIn) -> AsyncIterator[OktaConnector]:
    connector = _connector(stand_in, stand_in.service_app())
    yield connector
    await connector.aclose()


async def _contract(
    okta: OktaConnector,
    action: str,
    target: AffectedIdentity,
    observe: Callable[[], object],
    before: object,
    after: object,
) -> dict[str, object]:
    plan = await okta.plan(action, target, {})
    assert not plan.no_op and observe() == before, "plan must change nothing"
    first = await okta.apply(action, target, {})
    assert first.ok and not first.already, first.summary
    assert observe() == after
    again = await okta.apply(action, target, {})
    assert again.ok and again.already
    verified = await okta.verify(action, target, {})
    assert verified.confirmed, verified.summary
    return dict(plan.before)


async def test_suspending_a_user_is_undone_by_unsuspending(
    okta: OktaConnector, stand_in: OktaStandIn
) -> None:
    user_id = stand_in.add_user("svc-reporting@acme.example")
    user = AffectedIdentity("okta", IdentityKind.USER, user_id)

    def status() -> object:
        return stand_in.users[user_id]["status"]

    snapshot = await _contract(okta, "okta.suspend_user", user, status, "ACTIVE", "SUSPENDED")
    assert snapshot == {"login": "svc-reporting@acme.example", "status": "ACTIVE"}
    restored = await okta.undo("okta.suspend_user", user, {}, snapshot)
    assert restored.ok and status() == "ACTIVE"


async def test_deactivating_a_user_is_refused_as_an_undo(
    okta: OktaConnector, stand_in: OktaStandIn
) -> None:
    user_id = stand_in.add_user("shared-ops@acme.example")
    user = AffectedIdentity("okta", IdentityKind.USER, user_id)

    def status() -> object:
        return stand_in.users[user_id]["status"]

    snapshot = await _contract(
        okta, "okta.deactivate_user", user, status, "ACTIVE", "DEPROVISIONED"
    )
    refused = await okta.undo("okta.deactivate_user", user, {}, snapshot)
    assert refused.error_code == "irreversible" and "app assignments" in refused.summary
    suspend = await okta.apply("okta.suspend_user", user, {})
    assert suspend.error_code == "invalid_target" and "DEPROVISIONED" in suspend.summary


async def test_ending_a_user_s_sessions_also_revokes_their_tokens(
    okta: OktaConnector, stand_in: OktaStandIn
) -> None:
    user_id = stand_in.add_user("carol@acme.example")
    user = AffectedIdentity("okta", IdentityKind.USER, user_id)
    snapshot = await _contract(
        okta,
        "okta.clear_user_sessions",
        user,
        lambda: stand_in.sessions_cleared,
        [],
        [(user_id, "true")],
    )
    assert (await okta.undo("okta.clear_user_sessions", user, {}, snapshot)).error_code == (
        "irreversible"
    )


async def test_deactivating_a_service_app_and_activating_it_again(
    okta: OktaConnector, stand_in: OktaStandIn
) -> None:
    app_id = stand_in.add_app("nightly-sync")
    app = AffectedIdentity("okta", IdentityKind.SERVICE_ACCOUNT, app_id)

    def status() -> object:
        return stand_in.apps[app_id]["status"]

    snapshot = await _contract(okta, "okta.deactivate_app", app, status, "ACTIVE", "INACTIVE")
    restored = await okta.undo("okta.deactivate_app", app, {}, snapshot)
    assert restored.ok and status() == "ACTIVE"


async def test_revoking_an_app_s_refresh_tokens(okta: OktaConnector, stand_in: OktaStandIn) -> None:
    app_id = stand_in.add_app("mail-agent", refresh_tokens=3)
    app = AffectedIdentity("okta", IdentityKind.AGENT, app_id)

    def live() -> object:
        return len(stand_in.app_tokens[app_id])

    snapshot = await _contract(okta, "okta.revoke_app_tokens", app, live, 3, 0)
    assert snapshot == {"label": "mail-agent", "refresh_tokens": 3}
    assert (await okta.undo("okta.revoke_app_tokens", app, {}, snapshot)).error_code == (
        "irreversible"
    )


async def test_revoking_an_api_token(okta: OktaConnector, stand_in: OktaStandIn) -> None:
    owner = stand_in.add_user("admin@acme.example")
    token_id = stand_in.add_api_token("terraform", owner)
    token = AffectedIdentity("okta", IdentityKind.TOKEN, token_id)
    snapshot = await _contract(
        okta, "okta.revoke_api_token", token, lambda: token_id in stand_in.api_tokens, True, False
    )
    assert snapshot["name"] == "terraform" and snapshot["owner"] == owner
    assert (await okta.undo("okta.revoke_api_token", token, {}, snapshot)).error_code == (
        "irreversible"
    )


async def test_rate_limits_wait_for_okta_s_reset(stand_in: OktaStandIn) -> None:
    okta = _connector(stand_in, stand_in.service_app(), attempts=3)
    user_id = stand_in.add_user("svc@acme.example")
    user = AffectedIdentity("okta", IdentityKind.USER, user_id)
    stand_in.fail_next(1, 429, reset_in_s=1)
    assert (await okta.apply("okta.suspend_user", user, {})).ok
    assert stand_in.called_at[1] - stand_in.called_at[0] > 0
    stand_in.fail_next(10, 429)
    failed = await okta.undo("okta.suspend_user", user, {}, {"status": "ACTIVE"})
    assert failed.error_code == "throttled" and "after 3 attempts" in failed.summary
    assert stand_in.users[user_id]["status"] == "SUSPENDED"
    await okta.aclose()


async def test_a_key_okta_does_not_know_is_refused(stand_in: OktaStandIn) -> None:
    registered, impostor = stand_in.service_app(), stand_in.service_app()
    forged = ServiceApp(
        registered.client_id, registered.kid, impostor.private_key_pem, {}, frozenset()
    )
    okta = _connector(stand_in, forged)
    app_id = stand_in.add_app("nightly-sync")
    app = AffectedIdentity("okta", IdentityKind.SERVICE_ACCOUNT, app_id)
    refused = await okta.apply("okta.deactivate_app", app, {})
    assert refused.error_code == "access_denied" and "signature is invalid" in refused.summary
    assert stand_in.apps[app_id]["status"] == "ACTIVE"
    assert stand_in.calls == [("POST", "/oauth2/v1/token")]
    await okta.aclose()


async def test_a_token_without_the_scope_is_refused(stand_in: OktaStandIn) -> None:
    narrow = stand_in.service_app(scopes="okta.users.manage")
    okta = OktaConnector(
        org_url=stand_in.url,  # type: ignore[attr-defined]
        client_id=narrow.client_id,
        private_key_pem=narrow.private_key_pem,
        key_id=narrow.kid,
        scopes="okta.users.manage",
    )
    token = AffectedIdentity("okta", IdentityKind.TOKEN, stand_in.add_api_token("ci", "00u1"))
    refused = await okta.apply("okta.revoke_api_token", token, {})
    assert refused.error_code == "access_denied" and "E0000006" in refused.summary
    assert len(stand_in.api_tokens) == 1
    await okta.aclose()


async def test_an_assertion_is_used_once_and_only_at_the_token_url(stand_in: OktaStandIn) -> None:
    app = stand_in.service_app()
    url = stand_in.url  # type: ignore[attr-defined]
    client = OktaClient(
        org_url=url, client_id=app.client_id, private_key_pem=app.private_key_pem, key_id=app.kid
    )
    elsewhere = OktaClient(
        org_url=url,
        client_id=app.client_id,
        private_key_pem=app.private_key_pem,
        key_id=app.kid,
        token_url=f"{url}/oauth2/default/v1/token",
    )
    assertion = client.assertion()
    form = {
        "grant_type": "client_credentials",
        "scope": "okta.users.manage",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.post("/oauth2/v1/token", data=form)).status_code == 200
        replayed = await http.post("/oauth2/v1/token", data=form)
        assert replayed.status_code == 401 and "already been used" in replayed.text
        form["client_assertion"] = elsewhere.assertion()
        misdirected = await http.post("/oauth2/v1/token", data=form)
        assert misdirected.status_code == 401 and "audience" in misdirected.text
    await client.aclose()
    await elsewhere.aclose()
