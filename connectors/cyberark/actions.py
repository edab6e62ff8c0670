"""The CyberArk actions: every live session of one identity, in one action.

Terminating (or suspending) all of an account's sessions is one request, one
approval when the playbook asks for it, and one outcome that lists each session
and what became of it. When some sessions could not be changed the outcome fails
as ``partial`` and still lists every session, so the ledger says exactly which
are still running.

CyberArk's LiveSessions answer has no documented "suspended" flag; a suspended
session is read as one still live whose ``CanSuspend`` is false (it cannot be
suspended again). That is how the stand-in behaves; it is Blastwall's reading of
the published fields, not a documented guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.cyberark.client import CyberArkClient
from connectors.cyberark.errors import error_code
from connectors.cyberark.sessions import live_sessions, session_path
from connectors.cyberark.specs import SUSPEND_SESSIONS, TERMINATE_SESSIONS

ENDED = "ended"  # gone before we reached it: nothing left to stop


async def _each(
    cyberark: CyberArkClient, ids: Sequence[str], verb: str, done: str
) -> dict[str, object]:
    """``POST LiveSessions/{id}/{verb}`` for each session; raise ``partial`` if any failed."""
    results = [
        {"id": session_id, "result": await _one(cyberark, session_id, verb, done)}
        for session_id in ids
    ]
    failed = [r for r in results if str(r["result"]).startswith("failed")]
    after: dict[str, object] = {"sessions": results, done: len(results) - len(failed)}
    if failed:
        after["failed"] = len(failed)
        raise ConnectorFailure(
            "partial",
            f"{len(failed)} of {len(results)} session(s) could not be {done}: "
            + ", ".join(f"{r['id']} {r['result']}" for r in failed),
            after,
        )
    return after


async def _one(cyberark: CyberArkClient, session_id: str, verb: str, done: str) -> str:
    """What became of one session; an outage mid-way fails that session, not the list,
    so the outcome still says which sessions were already changed."""
    try:
        response = await cyberark.request(
            "POST", f"{session_path(session_id)}/{verb}", f"session {session_id}"
        )
    except ConnectorFailure as failed:
        return f"failed: {failed.code}"
    if response.status_code < 300:
        return done
    if response.status_code == 404:
        return ENDED
    return f"failed: {error_code(response)} (HTTP {response.status_code})"


class TerminateSessions(Irreversible):
    spec = TERMINATE_SESSIONS
    instead = (
        "a terminated session cannot be brought back; the user opens a new one "
        "once the incident allows it"
    )

    async def read(
        self, cyberark: CyberArkClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        sessions = await live_sessions(cyberark, target)
        before: dict[str, object] = {"live_sessions": [s.record() for s in sessions]}
        return State(before, {"live_sessions": []} if sessions else {})

    async def write(
        self,
        cyberark: CyberArkClient,
        target: AffectedIdentity,
        params: dict[str, str],
        state: State,
    ) -> dict[str, object]:
        return await _each(cyberark, _ids(state.before), "Terminate", "terminated")


class SuspendSessions:
    spec = SUSPEND_SESSIONS

    async def read(
        self, cyberark: CyberArkClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        sessions = await live_sessions(cyberark, target)
        running = [s.id for s in sessions if s.can_suspend]
        before: dict[str, object] = {"live_sessions": [s.record() for s in sessions]}
        return State(before, {"suspended": running} if running else {})

    async def write(
        self,
        cyberark: CyberArkClient,
        target: AffectedIdentity,
        params: dict[str, str],
        state: State,
    ) -> dict[str, object]:
        return await _each(cyberark, _ids(state.before, running_only=True), "Suspend", "suspended")

    async def restore(
        self,
        cyberark: CyberArkClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        """Resume exactly the sessions that were running before: one already suspended
        by someone else stays as that person left it."""
        return await _each(cyberark, _ids(snapshot, running_only=True), "Resume", "resumed")


def _ids(before: dict[str, object], running_only: bool = False) -> list[str]:
    listed = before.get("live_sessions")
    if not isinstance(listed, list):
        raise ConnectorFailure("invalid_snapshot", "the snapshot lists no live sessions")
    return [
        str(s["id"])
        for s in listed
        if isinstance(s, dict) and (not running_only or s.get("can_suspend"))
    ]
