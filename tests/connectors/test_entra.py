"""The Entra connector against the Graph stand-in, over real HTTP: plan changes
nothing, apply changes the target once, apply twice is harmless, verify sees it,
undo restores or refuses, saying why; throttling and refused credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.entra.connector import EntraConnector
from tests.fakes.entra_api import EntraStandIn
from tests.fakes.servers import ServedApp


@pytest.fixture
def stand_in() -> Iterator[EntraStandIn]:
    entra = EntraStandIn()
    with ServedApp(entra.app) as served:
        entra.url = served.url  # type: ignore[attr-defined]
        yield entra


def _connector(entra: EntraStandIn, secret: str | None = None, attempts: int = 4) -> EntraConnector:
    url = entra.url  # type: ignore[attr-defined]
    return EntraConnector(
        tenant_id=entra.tenant_id,
        client_id=entra.client_id,
        client_secret=secret or entra.client_secret,
        login_url=url,
        graph_url=f"{url}/v1.0",
        attempts=attempts,
        verify_timeout_s=3,
    )


@pytest.fixture
async def graph(stand_in: EntraStandIn) -> AsyncIterator[EntraConnector]:
    connector = _connector(stand_in)
    yield connector
    await connector.aclose()


async def _contract(
    graph: EntraConnector,
    action: str,
    target: AffectedIdentity,
    observe: Callable[[], object],
    before: object,
    after: object,
) -> dict[str, object]:
    plan = await graph.plan(action, target, {})
    assert not plan.no_op and observe() == before, "plan must change nothing"
    first = await graph.apply(action, target, {})
    assert first.ok and not first.already, first.summary
    assert observe() == after
    again = await graph.apply(action, target, {})
    assert again.ok and again.already
    verified = await graph.verify(action, target, {})
    assert verified.confirmed, verified.summary
    return dict(plan.before)


async def test_disabling_a_principal_refuses_to_re_enable_while_its_secret_lives(
    graph: EntraConnector, stand_in: EntraStandIn
) -> None:
    application, principal = stand_in.add_app("payments-agent")
    sp = AffectedIdentity("entra", IdentityKind.AGENT, principal["id"])
    snapshot = await _contract(
        graph,
        "entra.disable_service_principal",
        sp,
        lambda: principal["accountEnabled"],
        True,
        False,
    )
    key_id = application["passwordCredentials"][0]["keyId"]
    assert snapshot["credentials"] == [key_id]
    refused = await graph.undo("entra.disable_service_principal", sp, {}, snapshot)
    assert refused.error_code == "unsafe" and key_id in refused.summary
    assert principal["accountEnabled"] is False
    secret = AffectedIdentity(
        "entra", IdentityKind.SECRET, key_id, attributes=(("app_id", application["appId"]),)
    )
    assert (await graph.apply("entra.remove_client_secret", secret, {})).ok
    restored = await graph.undo("entra.disable_service_principal", sp, {}, snapshot)
    assert restored.ok and principal["accountEnabled"] is True


async def test_removing_a_secret_shows_it_without_its_value_and_cannot_be_undone(
    graph: EntraConnector, stand_in: EntraStandIn
) -> None:
    application, _ = stand_in.add_app("ci-deployer", secrets=2)
    leaked, kept = application["passwordCredentials"]
    secret = AffectedIdentity(
        "entra",
        IdentityKind.SECRET,
        leaked["keyId"],
        attributes=(("application", application["id"]),),
    )
    plan = await graph.plan("entra.remove_client_secret", secret, {})
    assert plan.before["display_name"] == "deploy secret 1" and plan.before["hint"] == "Bw8"
    assert plan.before["end"] == "2027-01-01T00:00:00Z" and "secretText" not in str(plan.before)
    snapshot = await _contract(
        graph,
        "entra.remove_client_secret",
        secret,
        lambda: [c["keyId"] for c in application["passwordCredentials"]],
        [leaked["keyId"], kept["keyId"]],
        [kept["keyId"]],
    )
    refused = await graph.undo("entra.remove_client_secret", secret, {}, snapshot)
    assert refused.error_code == "irreversible"
    assert len(stand_in.graph_calls("POST")) == 1


async def test_revoking_a_shared_account_user_s_sessions(
    graph: EntraConnector, stand_in: EntraStandIn
) -> None:
    user = stand_in.add_user("carol@contoso.example")
    target = AffectedIdentity("entra", IdentityKind.USER, user["userPrincipalName"])
    snapshot = await _contract(
        graph,
        "entra.revoke_user_sessions",
        target,
        lambda: user["signInSessionsValidFromDateTime"] > "2026-06-01",
        False,
        True,
    )
    assert snapshot["sessions_valid_from"] == "2026-01-01T00:00:00Z"
    refused = await graph.undo("entra.revoke_user_sessions", target, {}, snapshot)
    assert refused.error_code == "irreversible"


async def test_an_app_role_assignment_is_removed_and_restored(
    graph: EntraConnector, stand_in: EntraStandIn
) -> None:
    _, resource = stand_in.add_app("Microsoft Graph")
    _, agent = stand_in.add_app("mail-agent")
    assignment = stand_in.assign(resource, agent)
    target = AffectedIdentity(
        "entra", IdentityKind.ROLE, assignment["id"], attributes=(("resource", resource["id"]),)
    )

    def held() -> object:
        return [a["principalId"] for a in stand_in.assignments[resource["id"]]]

    snapshot = await _contract(
        graph, "entra.remove_app_role_assignment", target, held, [agent["id"]], []
    )
    restored = await graph.undo("entra.remove_app_role_assignment", target, {}, snapshot)
    assert restored.ok and held() == [agent["id"]]
    back = stand_in.assignments[resource["id"]][0]
    assert back["appRoleId"] == assignment["appRoleId"]
    again = await graph.undo("entra.remove_app_role_assignment", target, {}, snapshot)
    assert again.ok and len(stand_in.assignments[resource["id"]]) == 1


async def test_an_oauth2_grant_is_removed_and_restored(
    graph: EntraConnector, stand_in: EntraStandIn
) -> None:
    _, resource = stand_in.add_app("Microsoft Graph")
    _, client = stand_in.add_app("notes-agent")
    grant = stand_in.grant(client, resource, "Mail.Read Files.Read.All")
    target = AffectedIdentity(
        "entra",
        IdentityKind.ROLE,
        grant["id"],
        attributes=(("entra_object", "oauth2_permission_grant"),),
    )
    snapshot = await _contract(
        graph, "entra.remove_oauth2_grant", target, lambda: len(stand_in.grants), 1, 0
    )
    restored = await graph.undo("entra.remove_oauth2_grant", target, {}, snapshot)
    assert restored.ok
    [back] = stand_in.grants.values()
    assert back["scope"] == "Mail.Read Files.Read.All" and back["clientId"] == client["id"]
    wrong = await graph.apply("entra.remove_app_role_assignment", target, {})
    assert wrong.error_code == "invalid_target" and len(stand_in.grants) == 1


async def test_a_target_of_another_kind_of_object_is_refused(
    graph: EntraConnector, stand_in: EntraStandIn
) -> None:
    grant = AffectedIdentity("entra", IdentityKind.ROLE, "grant-1")
    refused = await graph.apply("entra.remove_oauth2_grant", grant, {})
    assert refused.error_code == "invalid_target"
    aws_agent = AffectedIdentity("aws", IdentityKind.AGENT, "agent-7")
    refused = await graph.apply("entra.disable_service_principal", aws_agent, {})
    assert refused.error_code == "invalid_target" and stand_in.graph_calls("GET") == []


async def test_throttling_waits_as_long_as_graph_asks(stand_in: EntraStandIn) -> None:
    graph = _connector(stand_in, attempts=4)
    _, principal = stand_in.add_app("etl-bot")
    sp = AffectedIdentity("entra", IdentityKind.SERVICE_ACCOUNT, principal["id"])
    stand_in.fail_next(1, 429, retry_after=1)
    assert (await graph.apply("entra.disable_service_principal", sp, {})).ok
    assert stand_in.called_at[1] - stand_in.called_at[0] >= 0.9  # the token call, then its retry
    stand_in.fail_next(10, 503)
    failed = await graph.undo(
        "entra.disable_service_principal",
        sp,
        {"confirm_false_positive": "true"},
        {"account_enabled": True},
    )
    assert failed.error_code == "unavailable" and "after 4 attempts" in failed.summary
    assert principal["accountEnabled"] is False
    await graph.aclose()


async def test_a_wrong_client_secret_is_a_clear_refusal(stand_in: EntraStandIn) -> None:
    graph = _connector(stand_in, secret="not-the-secret")
    _, principal = stand_in.add_app("etl-bot")
    sp = AffectedIdentity("entra", IdentityKind.SERVICE_ACCOUNT, principal["id"])
    refused = await graph.apply("entra.disable_service_principal", sp, {})
    assert refused.error_code == "access_denied" and "invalid_client" in refused.summary
    assert "not-the-secret" not in refused.summary
    assert principal["accountEnabled"] is True and stand_in.graph_calls("GET") == []
    await graph.aclose()
