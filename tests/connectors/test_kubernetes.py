"""The Kubernetes connector (kubernetes_asyncio) against the API server stand-in, over
real HTTP: plan changes nothing, apply changes the target once, a second apply is
"already", verify reads it back, undo restores or refuses; throttling, stale
resourceVersions and a wrong token end as clear outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.base import ConnectorFailure
from connectors.kubernetes.connector import KubernetesConnector
from connectors.registry import SYSTEMS, Wiring
from tests.fakes.kube_api import KubeApiStandIn
from tests.fakes.kube_cluster import Agent, agent
from tests.fakes.servers import ServedApp
from tests.fakes.tls import self_signed

TOKEN = "blastwall-sa-token"
SMP = "application/strategic-merge-patch+json"


@pytest.fixture
def served() -> Iterator[tuple[KubeApiStandIn, str]]:
    stand_in = KubeApiStandIn(TOKEN)
    with ServedApp(stand_in.app) as app:
        yield stand_in, app.url


@pytest.fixture
async def kube(served: tuple[KubeApiStandIn, str]) -> AsyncIterator[KubernetesConnector]:
    connector = KubernetesConnector(api_url=served[1], token=TOKEN, verify_timeout_s=3)
    yield connector
    await connector.aclose()


def _account(found: Agent) -> AffectedIdentity:
    return AffectedIdentity("kubernetes", IdentityKind.SERVICE_ACCOUNT, found.account_id)


def _workload(found: Agent) -> AffectedIdentity:
    return AffectedIdentity(
        "kubernetes", IdentityKind.WORKLOAD, f"{found.namespace}/{found.deployment}"
    )


async def _contract(
    kube: KubernetesConnector, action: str, target: AffectedIdentity, observe: Any
) -> dict[str, object]:
    """Plan, apply, apply again, verify; returns the snapshot undo gets."""
    untouched = observe()
    plan = await kube.plan(action, target, {})
    assert not plan.no_op and observe() == untouched, "plan must change nothing"
    first = await kube.apply(action, target, {})
    assert first.ok and not first.already, first.summary
    assert observe() != untouched
    again = await kube.apply(action, target, {})
    assert again.ok and again.already, again.summary
    verified = await kube.verify(action, target, {})
    assert verified.confirmed, verified.summary
    return dict(plan.before)


async def test_invalidate_credentials_deletes_tokens_and_replaces_the_account(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)
    old_uid = stand_in.objects[("serviceaccounts", "agents", "summarizer")]["metadata"]["uid"]

    def observe() -> tuple[object, bool]:
        account = stand_in.get("serviceaccounts", "agents", "summarizer") or {}
        return account["metadata"]["uid"], stand_in.get(
            "secrets", "agents", found.token_secret
        ) is None

    action = "kubernetes.invalidate_service_account_credentials"
    snapshot = await _contract(kube, action, _account(found), observe)
    assert snapshot["legacy_token_secrets"] == ["summarizer-token"]
    assert "ZXlK" not in repr(snapshot), "a token value must never be kept"
    account = stand_in.get("serviceaccounts", "agents", "summarizer")
    assert account is not None and account["metadata"]["uid"] != old_uid
    assert account["metadata"]["annotations"]["blastwall.io/replaced-uid"] == old_uid
    assert account["imagePullSecrets"] == [{"name": "registry"}] and "secrets" not in account
    assert stand_in.get("secrets", "agents", "registry") is not None
    deleted = [r for r in stand_in.received if r.method == "DELETE" and "serviceaccounts" in r.path]
    assert deleted[0].body["preconditions"] == {"uid": old_uid}
    refused = await kube.undo(action, _account(found), {}, snapshot)
    assert not refused.ok and refused.error_code == "irreversible"
    assert "rollout restart" in refused.summary


async def test_quarantine_labels_the_workload_and_denies_all_traffic_then_undo(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)

    def observe() -> tuple[object, ...]:
        deployment = stand_in.get("deployments", "agents", "summarizer") or {}
        labels = deployment["metadata"]["labels"]
        pods = deployment["spec"]["template"]["metadata"]["labels"]
        policy = stand_in.get("networkpolicies", "agents", "blastwall-quarantine-summarizer")
        return labels.get("blastwall.io/quarantine"), pods.get("blastwall.io/quarantine"), policy

    snapshot = await _contract(kube, "kubernetes.quarantine_workload", _workload(found), observe)
    policy = stand_in.get("networkpolicies", "agents", "blastwall-quarantine-summarizer")
    assert policy is not None
    assert policy["spec"]["podSelector"] == {
        "matchLabels": {"blastwall.io/quarantine": "summarizer"}
    }
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert not policy["spec"]["ingress"] and not policy["spec"]["egress"]
    assert observe()[:2] == ("summarizer", "summarizer")
    patches = [r for r in stand_in.received if r.method == "PATCH"]
    assert patches and all(r.content_type == SMP for r in patches)

    restored = await kube.undo("kubernetes.quarantine_workload", _workload(found), {}, snapshot)
    assert restored.ok, restored.summary
    assert observe() == (None, None, None)
    deployment = stand_in.get("deployments", "agents", "summarizer") or {}
    assert deployment["metadata"]["labels"] == {"app": "summarizer"}


async def test_scale_to_zero_and_back_from_the_snapshot(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)

    def observe() -> object:
        return (stand_in.get("deployments", "agents", "summarizer") or {})["spec"]["replicas"]

    snapshot = await _contract(kube, "kubernetes.scale_to_zero", _workload(found), observe)
    assert snapshot["replicas"] == 3 and observe() == 0
    paths = {path for _, path in stand_in.calls("PATCH")}
    assert paths == {"/apis/apps/v1/namespaces/agents/deployments/summarizer/scale"}
    assert (await kube.undo("kubernetes.scale_to_zero", _workload(found), {}, snapshot)).ok
    assert observe() == 3


async def test_a_stale_resource_version_is_read_again_within_a_bound(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)
    scale = "/apis/apps/v1/namespaces/agents/deployments/summarizer/scale"

    def autoscaler(deployment: dict[str, Any]) -> None:
        deployment["spec"]["replicas"] = 5

    # the plan's read, then the read before the write: both outpaced by an autoscaler
    stand_in.change_after_read(scale, "deployments", "agents", "summarizer", autoscaler, times=2)
    outcome = await kube.apply("kubernetes.scale_to_zero", _workload(found), {})
    assert outcome.ok, outcome.summary
    assert (stand_in.get("deployments", "agents", "summarizer") or {})["spec"]["replicas"] == 0
    assert len(stand_in.calls("PATCH")) == 2, "one 409, then one write with the fresh version"

    stand_in.change_after_read(scale, "deployments", "agents", "summarizer", autoscaler, times=50)
    restless = await kube.undo("kubernetes.scale_to_zero", _workload(found), {}, {"replicas": 3})
    assert not restless.ok and restless.error_code == "conflict"  # a clear outcome, not a loop
    assert "the object has been modified" in restless.summary
    assert len(stand_in.calls("PATCH")) == 2 + 3


async def test_remove_bindings_and_restore_them_from_the_snapshot(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)

    def observe() -> tuple[bool, bool, bool]:
        return (
            stand_in.get("rolebindings", "agents", "summarizer-reader") is not None,
            stand_in.get("clusterrolebindings", None, "summarizer-secrets") is not None,
            stand_in.get("rolebindings", "ops", "other-reader") is not None,
        )

    action = "kubernetes.remove_role_bindings"
    snapshot = await _contract(kube, action, _account(found), observe)
    assert observe() == (False, False, True)
    listed = {b["binding"]: b["other_subjects"] for b in snapshot["bindings"]}  # type: ignore[attr-defined]
    assert listed == {
        "RoleBinding/agents/summarizer-reader": 0,
        "ClusterRoleBinding/summarizer-secrets": 1,
    }
    restored = await kube.undo(action, _account(found), {}, snapshot)
    assert restored.ok, restored.summary
    assert observe() == (True, True, True)
    created = [r.body for r in stand_in.received if r.method == "POST"]
    assert all(
        "resourceVersion" not in body["metadata"] and "uid" not in body["metadata"]
        for body in created
    )
    again = stand_in.get("clusterrolebindings", None, "summarizer-secrets") or {}
    assert len(again["subjects"]) == 2 and again["roleRef"]["name"] == "secret-reader"


async def test_remove_one_named_binding_only(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)
    only = {"binding": "ClusterRoleBinding/summarizer-secrets"}
    outcome = await kube.apply("kubernetes.remove_role_bindings", _account(found), only)
    assert outcome.ok, outcome.summary
    assert stand_in.get("clusterrolebindings", None, "summarizer-secrets") is None
    assert stand_in.get("rolebindings", "agents", "summarizer-reader") is not None


async def test_an_agent_identity_names_its_workload(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)
    target = AffectedIdentity(
        "kubernetes", IdentityKind.AGENT, found.account_id, workload=found.deployment
    )
    assert (await kube.apply("kubernetes.scale_to_zero", target, {})).ok
    assert (stand_in.get("deployments", "agents", "summarizer") or {})["spec"]["replicas"] == 0
    bare = AffectedIdentity("kubernetes", IdentityKind.AGENT, found.account_id)
    refused = await kube.apply("kubernetes.scale_to_zero", bare, {})
    assert not refused.ok and refused.error_code == "invalid_target"


async def test_throttling_is_retried_honouring_retry_after_within_its_bound(
    served: tuple[KubeApiStandIn, str], kube: KubernetesConnector
) -> None:
    stand_in, _ = served
    found = agent(stand_in)
    stand_in.fail_next(1, 429, retry_after=1)
    assert (await kube.apply("kubernetes.scale_to_zero", _workload(found), {})).ok
    assert (stand_in.get("deployments", "agents", "summarizer") or {})["spec"]["replicas"] == 0
    stand_in.fail_next(5, 429, retry_after=0)  # as many as the connector tries
    throttled = await kube.apply("kubernetes.quarantine_workload", _workload(found), {})
    assert not throttled.ok and throttled.error_code == "throttled"
    assert "TooManyRequests after 5 attempts" in throttled.summary
    stand_in.fail_next(5, 500)
    failed = await kube.undo("kubernetes.scale_to_zero", _workload(found), {}, {"replicas": 3})
    assert not failed.ok and failed.error_code == "unavailable"
    assert (stand_in.get("deployments", "agents", "summarizer") or {})["spec"]["replicas"] == 0
    assert stand_in.get("networkpolicies", "agents", "blastwall-quarantine-summarizer") is None


async def test_a_wrong_token_is_a_clear_refusal_and_changes_nothing(
    served: tuple[KubeApiStandIn, str], tmp_path: Path
) -> None:
    stand_in, url = served
    found = agent(stand_in)
    token_file = tmp_path / "token"
    token_file.write_text("not-the-token\n")
    kube = KubernetesConnector(api_url=url, token_file=str(token_file))
    try:
        outcome = await kube.apply("kubernetes.scale_to_zero", _workload(found), {})
        assert not outcome.ok and outcome.error_code == "access_denied"
        assert "Unauthorized" in outcome.summary
        assert (stand_in.get("deployments", "agents", "summarizer") or {})["spec"]["replicas"] == 3
        token_file.write_text(TOKEN + "\n")  # a rotated projected token is read on the next call
        assert (await kube.apply("kubernetes.scale_to_zero", _workload(found), {})).ok
    finally:
        await kube.aclose()


async def test_a_missing_target_and_a_malformed_id_are_clear_outcomes(
    kube: KubernetesConnector,
) -> None:
    missing = AffectedIdentity("kubernetes", IdentityKind.WORKLOAD, "agents/nobody")
    outcome = await kube.apply("kubernetes.scale_to_zero", missing, {})
    assert not outcome.ok and outcome.error_code == "not_found"
    assert "NotFound" in outcome.summary
    malformed = AffectedIdentity("kubernetes", IdentityKind.SERVICE_ACCOUNT, "Agents/../x")
    refused = await kube.apply("kubernetes.remove_role_bindings", malformed, {})
    assert not refused.ok and refused.error_code == "invalid_target"


async def test_tls_with_the_configured_ca_and_a_clear_refusal_without_it(tmp_path: Path) -> None:
    stand_in = KubeApiStandIn(TOKEN)
    found = agent(stand_in)
    cert, key = self_signed(tmp_path)
    with ServedApp(stand_in.app, tls=(cert, key)) as app:
        trusted = KubernetesConnector(api_url=app.url, token=TOKEN, ca_file=cert)
        untrusted = KubernetesConnector(api_url=app.url, token=TOKEN)
        try:
            assert (await trusted.apply("kubernetes.scale_to_zero", _workload(found), {})).ok
            refused = await untrusted.plan("kubernetes.scale_to_zero", _workload(found), {})
        except ConnectorFailure as failed:
            assert failed.code == "unreachable" and "certificate" in failed.summary.lower()
        else:
            raise AssertionError(f"an untrusted server was used: {refused}")
        finally:
            await trusted.aclose()
            await untrusted.aclose()
    assert (stand_in.get("deployments", "agents", "summarizer") or {})["spec"]["replicas"] == 0


def test_built_only_when_configured(tmp_path: Path) -> None:
    system = next(s for s in SYSTEMS if s.name == "kubernetes")
    assert system.build(Wiring({}, str)) is None
    assert system.build(Wiring({"BLASTWALL_K8S_API_URL": "http://127.0.0.1:9"}, str)) is None
    built = system.build(
        Wiring({"BLASTWALL_K8S_API_URL": "http://127.0.0.1:9", "BLASTWALL_K8S_TOKEN": "t"}, str)
    )
    assert built is not None and {s.id for s in built.specs()} == {s.id for s in system.specs}
