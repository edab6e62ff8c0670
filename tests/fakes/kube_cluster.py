"""A small cluster to contain: an agent's ServiceAccount with a legacy token Secret,
its Deployment, and the bindings that grant it rights (one shared with another
account). Shaped as kube-apiserver stores them."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.kube_api import KubeApiStandIn

TOKEN_TYPE = "kubernetes.io/service-account-token"


@dataclass(frozen=True)
class Agent:
    namespace: str
    account: str
    deployment: str
    token_secret: str

    @property
    def account_id(self) -> str:
        return f"{self.namespace}/{self.account}"


def agent(kube: KubeApiStandIn, namespace: str = "agents", name: str = "summarizer") -> Agent:
    account = kube.add(
        "serviceaccounts",
        namespace,
        {
            "metadata": {"name": name, "labels": {"app": name}},
            "automountServiceAccountToken": True,
            "secrets": [{"name": f"{name}-token"}],
            "imagePullSecrets": [{"name": "registry"}],
        },
    )
    kube.add(
        "secrets",
        namespace,
        {
            "metadata": {
                "name": f"{name}-token",
                "annotations": {
                    "kubernetes.io/service-account.name": name,
                    "kubernetes.io/service-account.uid": account["metadata"]["uid"],
                },
            },
            "type": TOKEN_TYPE,
            "data": {"token": "ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNklp"},
        },
    )
    kube.add("secrets", namespace, {"metadata": {"name": "registry"}, "type": "Opaque"})
    kube.add(
        "deployments",
        namespace,
        {
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        "serviceAccountName": name,
                        "containers": [{"name": "agent", "image": "agent:1"}],
                    },
                },
            },
            "status": {"replicas": 3},
        },
    )
    subject = {"kind": "ServiceAccount", "name": name, "namespace": namespace}
    kube.add(
        "rolebindings",
        namespace,
        {
            "metadata": {"name": f"{name}-reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [subject],
        },
    )
    kube.add(
        "clusterrolebindings",
        None,
        {
            "metadata": {"name": f"{name}-secrets"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "secret-reader",
            },
            "subjects": [subject, {"kind": "ServiceAccount", "name": "other", "namespace": "ops"}],
        },
    )
    kube.add(
        "rolebindings",
        "ops",
        {
            "metadata": {"name": "other-reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "other", "namespace": "ops"}],
        },
    )
    return Agent(namespace, name, name, f"{name}-token")
