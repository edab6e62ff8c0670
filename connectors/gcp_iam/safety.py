"""When giving a contained service account its access back is safe.

Re-enabling a service account makes its existing access tokens valid again
(Google: "existing access tokens will be accepted"), and with them whatever its
live keys mint; re-granting its roles hands the same access back. So an undo is
refused while a key that was live at containment still works, and until every
token issued before containment has expired (Google's default lifetime is an
hour). ``confirm_false_positive=true`` skips both: the account was never abused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import ConnectorFailure
from connectors.gcp_iam.client import GcpClient
from connectors.gcp_iam.names import Account

STAMP = "%Y-%m-%dT%H:%M:%SZ"


def now_text() -> str:
    return datetime.now(UTC).strftime(STAMP)


async def live_keys(gcp: GcpClient, account: Account) -> list[str]:
    """The ids of the account's user-managed keys that still work (not disabled)."""
    answer = await gcp.iam(
        "GET", f"{account.name}/keys?keyTypes=USER_MANAGED", f"keys of {account.email}"
    )
    keys: list[dict[str, Any]] = (answer or {}).get("keys") or []
    return sorted(str(k.get("name", "")).rsplit("/", 1)[-1] for k in keys if not k.get("disabled"))


async def check_undo(
    gcp: GcpClient,
    account: Account,
    snapshot: dict[str, object],
    params: dict[str, str],
    token_lifetime_s: float,
) -> None:
    """Raise "unsafe" unless handing the account's access back is safe now."""
    if params.get("confirm_false_positive") == "true":
        return
    held = snapshot.get("live_keys")
    before = {str(k) for k in held} if isinstance(held, list) else set()
    still = sorted(before & set(await live_keys(gcp, account)))
    if still:
        raise ConnectorFailure(
            "unsafe",
            f"key(s) {', '.join(still)} of {account.email} were live when it was contained "
            "and still work: disable or delete them (rotate the workload) first; undo with "
            "confirm_false_positive=true only when the account was never abused",
        )
    try:
        observed = datetime.strptime(str(snapshot.get("observed_at")), STAMP).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ConnectorFailure(
            "unsafe", "the snapshot does not say when the account was contained"
        ) from exc
    safe_at = observed + timedelta(seconds=token_lifetime_s)
    if datetime.now(UTC) < safe_at:
        raise ConnectorFailure(
            "unsafe",
            f"access tokens {account.email} was issued before containment may be valid until "
            f"{safe_at:%Y-%m-%d %H:%M} UTC; undoing now would revive them",
        )
