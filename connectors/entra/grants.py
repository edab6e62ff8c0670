"""Permission grants: an app-role assignment (application permission) or an OAuth2
delegated permission grant. Removal is restored from the snapshot by granting the
same thing again; Entra gives the new grant a new id."""

from __future__ import annotations

from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, State
from connectors.entra.client import GraphClient
from connectors.entra.principals import entra_only
from connectors.entra.specs import REMOVE_APP_ROLE_ASSIGNMENT, REMOVE_OAUTH2_GRANT

OAUTH2_GRANT = "oauth2_permission_grant"
_ASSIGNMENT_FIELDS = ("principalId", "principalType", "resourceId", "appRoleId")
_GRANT_FIELDS = ("clientId", "consentType", "principalId", "resourceId", "scope")
_PAGES = 20  # bound on following @odata.nextLink


class RemoveAppRoleAssignment:
    spec = REMOVE_APP_ROLE_ASSIGNMENT

    def _resource(self, target: AffectedIdentity) -> str:
        resource = target.attribute("resource")
        if target.attribute("entra_object") == OAUTH2_GRANT or not resource:
            raise ConnectorFailure(
                "invalid_target",
                f"{target.key}: an app-role assignment with a resource attribute is needed",
            )
        return resource

    async def _find(self, graph: GraphClient, resource: str, match: Any) -> dict[str, Any] | None:
        path: str | None = f"servicePrincipals/{resource}/appRoleAssignedTo"
        for _ in range(_PAGES):
            if path is None:
                return None
            page = await graph.found(path, f"service principal {resource}")
            hit = next((a for a in page.get("value", []) if match(a)), None)
            if hit is not None:
                return dict(hit)
            path = page.get("@odata.nextLink")
        raise ConnectorFailure("unavailable", f"too many assignments on {resource} to search")

    async def read(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        assignment_id, resource = entra_only(target), self._resource(target)
        found = await self._find(graph, resource, lambda a: a.get("id") == assignment_id)
        if found is None:
            return State({"resource": resource, "present": False}, {})
        before: dict[str, object] = {"present": True, "resource": resource}
        before |= {name: found.get(name) for name in _ASSIGNMENT_FIELDS}
        before["principal_name"] = found.get("principalDisplayName")
        return State(before, {"present": False})

    async def write(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        resource = self._resource(target)
        await graph.call(
            "DELETE",
            f"servicePrincipals/{resource}/appRoleAssignedTo/{target.external_id}",
            "app-role assignment",
            missing_ok=True,
        )
        return {"resource": resource, "present": False}

    async def restore(
        self,
        graph: GraphClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        if not snapshot.get("present"):
            return {"present": False}
        resource = str(snapshot["resource"])
        same = {k: snapshot.get(k) for k in ("principalId", "resourceId", "appRoleId")}
        existing = await self._find(
            graph, resource, lambda a: all(a.get(k) == v for k, v in same.items())
        )
        if existing is None:
            existing = await graph.call(
                "POST",
                f"servicePrincipals/{resource}/appRoleAssignedTo",
                "app-role assignment",
                json=same,
            )
        return {"present": True, "id": (existing or {}).get("id"), "resource": resource}


class RemoveOauth2Grant:
    spec = REMOVE_OAUTH2_GRANT

    def _grant_id(self, target: AffectedIdentity) -> str:
        if target.attribute("entra_object") != OAUTH2_GRANT:
            raise ConnectorFailure(
                "invalid_target", f"{target.key} is not an OAuth2 permission grant"
            )
        return entra_only(target)

    async def read(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        grant_id = self._grant_id(target)
        grant = await graph.call(
            "GET", f"oauth2PermissionGrants/{grant_id}", "permission grant", missing_ok=True
        )
        if grant is None:
            return State({"present": False}, {})
        before: dict[str, object] = {"present": True}
        before |= {name: grant.get(name) for name in _GRANT_FIELDS}
        return State(before, {"present": False})

    async def write(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await graph.call(
            "DELETE",
            f"oauth2PermissionGrants/{self._grant_id(target)}",
            "permission grant",
            missing_ok=True,
        )
        return {"present": False}

    async def restore(
        self,
        graph: GraphClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        if not snapshot.get("present"):
            return {"present": False}
        body = {name: snapshot.get(name) for name in _GRANT_FIELDS}
        if body.get("consentType") == "AllPrincipals":
            body.pop("principalId")
        created = await graph.call("POST", "oauth2PermissionGrants", "permission grant", json=body)
        return {"present": True, "id": (created or {}).get("id")}
