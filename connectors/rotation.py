"""Rotation: issue a new credential, deliver its secret, and only then retire the old one.

The order is the safety: the old credential is retired only once the new secret
is written to the playbook's KV v2 path and read back (compared by keyed hash);
if delivery fails, the new credential is discarded again so no orphan is left,
and if retiring fails, the outcome says the new one is delivered and the old one
still works. The secret lives in this process only between issue and delivery;
what is returned (and so recorded) is its id, the path, the version and the
keyed hash (``fingerprint``, the redaction key's HMAC).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import NoReturn

from connectors.base import ConnectorFailure
from connectors.vault.kv import KvStore

Fingerprint = Callable[[str], str]


@dataclass(frozen=True)
class Issued:
    """A new credential: its public id, and the fields delivered (the secret among them)."""

    id: str
    fields: dict[str, str] = field(repr=False)
    secret_field: str = field(repr=False)

    @property
    def secret(self) -> str:
        return self.fields[self.secret_field]


@dataclass(frozen=True)
class Rotation:
    """One rotation's steps, as the connector performs them."""

    id_name: str  # how the record names the new credential's id ("new_key_id")
    issue: Callable[[], Awaitable[Issued]]
    discard: Callable[[str], Awaitable[None]]  # the new credential, by id
    retire: Callable[[], Awaitable[None]]  # the old credential


async def deliver(
    store: KvStore, path: str, issued: Issued, fingerprint: Fingerprint
) -> dict[str, object]:
    """Write, read that version back, compare keyed hashes: the record of the delivery."""
    version = await store.put(path, issued.fields)
    back = await store.get(path, version)
    want = fingerprint(issued.secret)
    got = fingerprint(back.data.get(issued.secret_field, "")) if back else ""
    if not hmac.compare_digest(want, got):
        raise ConnectorFailure(
            "secret_store", f"{path} version {version} does not read back what was written"
        )
    return {"kv_path": path, "kv_version": version, "secret_hmac": want}


async def rotate(
    rotation: Rotation, store: KvStore, path: str, fingerprint: Fingerprint
) -> dict[str, object]:
    issued = await rotation.issue()
    new = {rotation.id_name: issued.id}
    try:
        delivered = await deliver(store, path, issued, fingerprint)
    except ConnectorFailure as failed:
        await _discard(rotation, issued.id, path, failed)
    try:
        await rotation.retire()
    except ConnectorFailure as failed:
        raise ConnectorFailure(
            "old_still_active",
            f"the new credential {issued.id} is delivered to {path} "
            f"(version {delivered['kv_version']}), but the old one is STILL ACTIVE: "
            f"{failed.summary}; run the rotation again to retire it",
            after={**new, **delivered, "old_retired": False},
        ) from failed
    return {**new, **delivered}


async def _discard(
    rotation: Rotation, new_id: str, path: str, failed: ConnectorFailure
) -> NoReturn:
    """Delivery failed: take the new credential back, so none exists that nobody holds."""
    try:
        await rotation.discard(new_id)
    except ConnectorFailure as also:
        raise ConnectorFailure(
            "orphaned_credential",
            f"could not deliver the new secret to {path} ({failed.summary}) and could not "
            f"delete the new credential {new_id} ({also.summary}): delete it by hand; "
            "the old one was left as it was",
            after={rotation.id_name: new_id, "new_discarded": False},
        ) from also
    raise ConnectorFailure(
        "secret_store",
        f"could not deliver the new secret to {path} ({failed.summary}); the new "
        f"credential {new_id} was deleted again and the old one left as it was",
        after={rotation.id_name: new_id, "new_discarded": True},
    ) from failed
