"""A KV v2 secrets engine as the store a rotated credential's new secret is delivered to.

Only the caller ever holds the values: nothing here logs them, and the failures
name the path and the HTTP status, never what was being written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.secret_paths import split_mount
from connectors.base import ConnectorFailure
from connectors.vault.client import VaultClient


@dataclass(frozen=True)
class Stored:
    """One version of a KV v2 secret. ``data`` holds secrets: it is never printed."""

    version: int
    data: dict[str, str] = field(repr=False)


class KvStore:
    def __init__(self, client: VaultClient) -> None:
        self._client = client

    @staticmethod
    def _data_path(path: str) -> str:
        mount, inside = split_mount(path)
        if not inside:
            raise ConnectorFailure("invalid_target", f"{path} names no secret inside its mount")
        return f"{mount}/data/{inside}"

    async def put(self, path: str, data: dict[str, str]) -> int:
        """Write a new version; its number."""
        answer = await self._client.call(
            "POST", self._data_path(path), f"secret store path {path}", json={"data": data}
        )
        version = ((answer or {}).get("data") or {}).get("version")
        if not isinstance(version, int):
            raise ConnectorFailure("secret_store", f"{path}: the store named no version")
        return version

    async def get(self, path: str, version: int | None = None) -> Stored | None:
        """That version (the latest when None), or None when there is none."""
        answer = await self._client.call(
            "GET",
            self._data_path(path),
            f"secret store path {path}",
            params={"version": str(version)} if version else None,
            missing_ok=True,
        )
        body = (answer or {}).get("data") or {}
        data, meta = body.get("data"), body.get("metadata") or {}
        if not isinstance(data, dict) or not isinstance(meta.get("version"), int):
            return None
        return Stored(meta["version"], {str(k): str(v) for k, v in data.items()})
