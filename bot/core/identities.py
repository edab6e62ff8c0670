"""The non-human identity an incident is about, and who it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IdentityKind(StrEnum):
    ACCESS_KEY = "access_key"
    SERVICE_ACCOUNT = "service_account"
    TOKEN = "token"  # noqa: S105 (a kind of identity, not a secret)
    CERTIFICATE = "certificate"
    AGENT = "agent"
    WORKLOAD = "workload"
    ROLE = "role"
    USER = "user"
    APP_INSTALLATION = "app_installation"
    SECRET = "secret"  # noqa: S105 (a kind of identity, not a secret)


@dataclass(frozen=True)
class AffectedIdentity:
    """One abused identity. ``key`` is stable across alerts, so alerts coalesce.

    ``shared_with_humans`` matters because revoking it locks people out too;
    ``vendor_managed`` because rotation may need the vendor.
    """

    system: str
    kind: IdentityKind
    external_id: str
    owner: str | None = None
    workload: str | None = None
    issuing_system: str | None = None
    shared_with_humans: bool = False
    vendor_managed: bool = False
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.system}:{self.kind.value}:{self.external_id}"

    @property
    def match_keys(self) -> tuple[str, ...]:
        """What a further alert is matched on: the key, and the keyed hash of the leaked
        secret when one is known, so two detectors naming one secret differently agree."""
        hashed = self.attribute("secret_hash")
        return (self.key, f"secret:{hashed}") if hashed else (self.key,)

    def attribute(self, name: str) -> str | None:
        return dict(self.attributes).get(name)

    def as_record(self) -> dict[str, object]:
        return {
            "system": self.system,
            "kind": self.kind.value,
            "external_id": self.external_id,
            "owner": self.owner,
            "workload": self.workload,
            "issuing_system": self.issuing_system,
            "shared_with_humans": self.shared_with_humans,
            "vendor_managed": self.vendor_managed,
            "attributes": dict(self.attributes),
        }

    @classmethod
    def from_record(cls, record: dict[str, object]) -> AffectedIdentity:
        attributes = record.get("attributes") or {}
        assert isinstance(attributes, dict)
        return cls(
            system=str(record["system"]),
            kind=IdentityKind(str(record["kind"])),
            external_id=str(record["external_id"]),
            owner=_opt(record.get("owner")),
            workload=_opt(record.get("workload")),
            issuing_system=_opt(record.get("issuing_system")),
            shared_with_humans=bool(record.get("shared_with_humans", False)),
            vendor_managed=bool(record.get("vendor_managed", False)),
            attributes=tuple(sorted((str(k), str(v)) for k, v in attributes.items())),
        )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
