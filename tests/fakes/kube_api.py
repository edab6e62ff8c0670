"""A request-level Kubernetes API server stand-in on the real routes.

It serves what Blastwall calls, the way kube-apiserver answers it: core
(``/api/v1``) and group (``/apis/{group}/{version}``) routes, namespaced and
cluster-scoped, list (label and field selectors, across all namespaces too),
get, create, patch (strategic merge, JSON merge and JSON patch), update and
delete (with UID / resourceVersion preconditions), the Deployment ``scale``
subresource, a global resourceVersion with 409 Conflict on a stale one, bearer
tokens (401), and errors as ``Status`` objects. Tests arrange objects, read
what was received, inject 429 (with Retry-After) and 5xx answers, and make a
concurrent writer change an object right after Blastwall has read it.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.kube_objects import (
    KINDS,
    Kind,
    apply_patch,
    conflict,
    matches,
    scale_of,
    status,
    success,
)

_ROUTE = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[a-z]+)(?:/(?P<name>[^/]+))?(?P<scale>/scale)?$"
)
PATCH_TYPES = (
    "application/strategic-merge-patch+json",
    "application/merge-patch+json",
    "application/json-patch+json",
)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: str
    content_type: str
    body: Any


@dataclass(frozen=True)
class Route:
    kind: Kind
    namespace: str | None
    name: str | None
    scale: bool

    @property
    def key(self) -> tuple[str, str, str]:
        assert self.name is not None
        return (self.kind.plural, self.namespace or "", self.name)


class KubeApiStandIn:
    def __init__(self, token: str = "blastwall-sa-token") -> None:
        self.tokens = {token}
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.received: list[Received] = []
        self._versions = itertools.count(1000)
        self._faults: list[tuple[int, int]] = []
        self._after_read: dict[str, tuple[Callable[[], None], int]] = {}
        self.app = self._build()

    # --- arranging and observing ------------------------------------------------

    def add(self, plural: str, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        kind = next(k for k in KINDS.values() if k.plural == plural)
        stored = self._stamp(kind, namespace, json.loads(json.dumps(body)))
        self.objects[(plural, namespace or "", stored["metadata"]["name"])] = stored
        return stored

    def get(self, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.objects.get((plural, namespace or "", name))

    def calls(self, method: str | None = None) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.received if method in (None, r.method)]

    def fail_next(self, times: int, code: int, retry_after: int = 0) -> None:
        self._faults += [(code, retry_after)] * times

    def change_after_read(
        self,
        path: str,
        plural: str,
        namespace: str,
        name: str,
        change: Callable[[dict[str, Any]], None],
        times: int = 1,
    ) -> None:
        """Right after answering GET ``path`` (``times`` times), another writer changes
        the object and its resourceVersion, so Blastwall's next write is stale."""

        def concurrent() -> None:
            found = self.objects[(plural, namespace, name)]
            change(found)
            found["metadata"]["resourceVersion"] = str(next(self._versions))

        self._after_read[path] = (concurrent, times)

    # --- the API --------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        async def serve(path: str, request: Request) -> Response:
            body = await request.body()
            parsed = json.loads(body) if body else None
            content_type = request.headers.get("content-type", "").split(";")[0].strip()
            self.received.append(
                Received(request.method, request.url.path, request.url.query, content_type, parsed)
            )
            refused = self._refuse(request)
            if refused:
                return refused
            route = self._route(request.url.path)
            if route is None:
                return status(404, "NotFound", "the server could not find the requested resource")
            answer = self._answer(request.method, route, request, content_type, parsed)
            if request.method == "GET":
                self._concurrent_write(request.url.path)
            return answer

        return app

    def _concurrent_write(self, path: str) -> None:
        change, times = self._after_read.pop(path, (None, 0))
        if change is not None and times > 0:
            change()
            if times > 1:
                self._after_read[path] = (change, times - 1)

    def _refuse(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            return status(401, "Unauthorized", "Unauthorized")
        if self._faults:
            code, retry_after = self._faults.pop(0)
            if code == 429:
                answer = status(
                    429,
                    "TooManyRequests",
                    "Too many requests, please try again later.",
                    details={"retryAfterSeconds": retry_after},
                )
                answer.headers["Retry-After"] = str(retry_after)
                return answer
            return status(code, "InternalError", "Internal error occurred: etcdserver: timeout")
        return None

    def _route(self, path: str) -> Route | None:
        found = _ROUTE.match(path)
        if not found:
            return None
        group_version = found["core"] or f"{found['group']}/{found['version']}"
        kind = KINDS.get((group_version, found["plural"]))
        scale = bool(found["scale"])
        if kind is None or (scale and kind.plural != "deployments"):
            return None
        if found["ns"] is not None and not kind.namespaced:
            return None
        return Route(kind, found["ns"], found["name"], scale)

    def _answer(
        self, method: str, route: Route, request: Request, content_type: str, body: Any
    ) -> Response:
        if route.name is None:
            if method == "GET":
                return self._list(route, request)
            if method == "POST" and (route.namespace or not route.kind.namespaced):
                return self._create(route, body)
            return status(405, "MethodNotAllowed", "the server does not allow this method")
        current = self.objects.get(route.key)
        if current is None:
            return status(
                404,
                "NotFound",
                f'{route.kind.resource} "{route.name}" not found',
                details={"name": route.name, "kind": route.kind.plural},
            )
        if method == "GET":
            return JSONResponse(scale_of(current) if route.scale else current)
        if method == "DELETE":
            return self._delete(route, current, body)
        if method in ("PATCH", "PUT"):
            return self._update(method, route, current, content_type, body)
        return status(405, "MethodNotAllowed", "the server does not allow this method")

    def _list(self, route: Route, request: Request) -> Response:
        labels = request.query_params.get("labelSelector", "")
        fields = request.query_params.get("fieldSelector", "")
        for term in filter(None, fields.split(",")):
            if term.split("=")[0].rstrip("!") not in (
                "metadata.name",
                "metadata.namespace",
                "type",
            ):
                return status(400, "BadRequest", f'field label not supported: "{term}"')
        items = [
            {k: v for k, v in found.items() if k not in ("kind", "apiVersion")}
            for (plural, namespace, _), found in sorted(self.objects.items())
            if plural == route.kind.plural
            and route.namespace in (None, namespace)
            and matches(found, labels, fields)
        ]
        return JSONResponse(
            {
                "kind": f"{route.kind.kind}List",
                "apiVersion": route.kind.group_version,
                "metadata": {"resourceVersion": str(next(self._versions))},
                "items": items,
            }
        )

    def _create(self, route: Route, body: Any) -> Response:
        meta = body.get("metadata") if isinstance(body, dict) else None
        if not isinstance(meta, dict) or not meta.get("name"):
            return status(
                422, "Invalid", f"{route.kind.kind} is invalid: metadata.name: Required value"
            )
        if meta.get("resourceVersion"):
            return status(
                500, "InternalError", "resourceVersion should not be set on objects to be created"
            )
        if route.namespace and meta.get("namespace") not in (None, route.namespace):
            return status(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the "
                "request",
            )
        key = (route.kind.plural, route.namespace or "", meta["name"])
        if key in self.objects:
            return status(
                409,
                "AlreadyExists",
                f'{route.kind.resource} "{meta["name"]}" already exists',
                details={"name": meta["name"], "kind": route.kind.plural},
            )
        self.objects[key] = self._stamp(route.kind, route.namespace, body)
        return JSONResponse(self.objects[key], status_code=201)

    def _delete(self, route: Route, current: dict[str, Any], body: Any) -> Response:
        wanted = (body or {}).get("preconditions") or {}
        meta = current["metadata"]
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            if wanted.get(field) and wanted[field] != meta.get(field):
                return conflict(
                    route.kind,
                    str(route.name),
                    f"Precondition failed: {label} in precondition: {wanted[field]}, "
                    f"{label} in object meta: {meta.get(field)}",
                )
        del self.objects[route.key]
        return success(route.kind, current)

    def _update(
        self, method: str, route: Route, current: dict[str, Any], content_type: str, body: Any
    ) -> Response:
        if method == "PATCH" and content_type not in PATCH_TYPES:
            return status(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(PATCH_TYPES)}",
            )
        view = scale_of(current) if route.scale else current
        sent = body.get("metadata", {}).get("resourceVersion") if isinstance(body, dict) else None
        if sent and sent != current["metadata"]["resourceVersion"]:
            return conflict(
                route.kind,
                str(route.name),
                "the object has been modified; please apply your changes to the latest version "
                "and try again",
            )
        changed = body if method == "PUT" else apply_patch(view, body, content_type)
        if route.scale:
            replicas = int(changed["spec"].get("replicas", 0))
            current["spec"]["replicas"] = replicas
            current.setdefault("status", {})["replicas"] = replicas
        else:
            changed["metadata"] = {**changed.get("metadata", {}), **_server_fields(current)}
            current.clear()
            current.update(changed)
        current["metadata"]["resourceVersion"] = str(next(self._versions))
        return JSONResponse(scale_of(current) if route.scale else current)

    def _stamp(self, kind: Kind, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        meta = dict(body.get("metadata") or {})
        meta.update(
            uid=str(uuid.uuid4()),
            resourceVersion=str(next(self._versions)),
            creationTimestamp="2026-12-01T09:00:00Z",
        )
        if namespace:
            meta["namespace"] = namespace
        return {**body, "apiVersion": kind.group_version, "kind": kind.kind, "metadata": meta}


def _server_fields(current: dict[str, Any]) -> dict[str, Any]:
    """What a write cannot change: the server's own metadata."""
    keep = ("uid", "creationTimestamp", "namespace", "name")
    return {k: v for k, v in current["metadata"].items() if k in keep}
