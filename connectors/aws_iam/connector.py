"""AWS IAM as a Connector: the shared action table over one boto3 client.

boto3 blocks; ``IamCalls`` runs it in a worker thread, so the actions are async
like every other connector's. IAM is eventually consistent, so the read-back in
verify waits longer than the HTTP systems' (non-blocking, bounded).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.activity import ActivityReport, ActivityUnavailable, ActivityWindow
from bot.core.identities import AffectedIdentity
from connectors.aws_iam.calls import IamCalls
from connectors.aws_iam.cloudtrail import SOURCE, CloudTrailActivity
from connectors.aws_iam.keys import DeactivateKey, DeleteKey
from connectors.aws_iam.principals import BlockRoleAssumption, Quarantine, RemoveConsoleLogin
from connectors.aws_iam.rotation import DeleteInactiveKey, RotateKey
from connectors.aws_iam.sessions import RevokeSessions
from connectors.aws_iam.specs import CONNECTOR
from connectors.base import TableConnector
from connectors.rotation import Fingerprint
from connectors.threads import ConnectorThreads
from connectors.vault.kv import KvStore

VERIFY_TIMEOUT_S = 20.0


class AwsIamConnector(TableConnector[IamCalls]):
    first_pause_s = 0.2
    max_pause_s = 2.0

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        max_attempts: int = 5,
        timeout_s: float = 10.0,
        verify_timeout_s: float = VERIFY_TIMEOUT_S,
        rate_per_s: float = 10.0,
        secret_store: KvStore | None = None,
        fingerprint: Fingerprint | None = None,
        cloudtrail: CloudTrailActivity | None = None,
        threads: ConnectorThreads | None = None,
    ) -> None:
        iam = IamCalls(
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            max_attempts=max_attempts,
            timeout_s=timeout_s,
            threads=threads,
        )
        actions = (
            DeactivateKey(),
            DeleteKey(),
            Quarantine(),
            RevokeSessions(),
            RemoveConsoleLogin(),
            BlockRoleAssumption(),
            RotateKey(secret_store, fingerprint),
            DeleteInactiveKey(),
        )
        super().__init__(CONNECTOR, iam, actions, verify_timeout_s)
        self.rate_per_s = rate_per_s  # bulk runs stay under IAM's mutation throttle
        self._cloudtrail = cloudtrail

    def covers(self, identity: AffectedIdentity) -> bool:
        """Activity comes from CloudTrail, when it is switched on (BLASTWALL_AWS_CLOUDTRAIL)."""
        return self._cloudtrail is not None and self._cloudtrail.covers(identity)

    async def activity(self, identity: AffectedIdentity, window: ActivityWindow) -> ActivityReport:
        if self._cloudtrail is None:
            raise ActivityUnavailable(SOURCE, {}, "CloudTrail is switched off")
        return await self._cloudtrail.activity(identity, window)

    def done(self, target: AffectedIdentity, after: Mapping[str, object]) -> str:
        """Say what changed ("status Inactive"), not only that something did."""
        said = ", ".join(f"{k} {v}" for k, v in after.items() if k not in ("user", "name", "role"))
        return f"{target.external_id}: {said}"
