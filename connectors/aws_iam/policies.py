"""The inline policy documents Blastwall writes. Named so they are easy to find and undo."""

from __future__ import annotations

import json
from datetime import datetime

QUARANTINE_POLICY = "BlastwallQuarantine"
REVOKE_SESSIONS_POLICY = "BlastwallRevokeOlderSessions"


def deny_all() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "BlastwallQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}
            ],
        }
    )


def revoke_older_sessions(cutoff: datetime) -> str:
    """Deny everything to sessions issued before ``cutoff`` (the console's
    "revoke active sessions" pattern): new sessions work, stolen ones do not."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "BlastwallRevokeOlderSessions",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff_text(cutoff)}},
                }
            ],
        }
    )


def cutoff_text(cutoff: datetime) -> str:
    return cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")


def cutoff_of(document: object) -> str | None:
    """The cut-off time in a revoke-older-sessions document, if it is one."""
    doc = json.loads(document) if isinstance(document, str) else document
    if not isinstance(doc, dict):
        return None
    for statement in doc.get("Statement", []):
        value = statement.get("Condition", {}).get("DateLessThan", {}).get("aws:TokenIssueTime")
        if isinstance(value, str):
            return value
    return None
