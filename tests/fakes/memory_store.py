"""In-memory IncidentStore and UnitOfWork: the fake of the storage port.

Commit copies the working state over the committed state; leaving without a
commit throws the working state away, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType

from bot.core.actions import ActionRequest, RequestStatus
from bot.core.approvals import Approval
from bot.core.escalation import StallKind
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.core.ledger import LedgerHead
from bot.core.ports import ReadOnlyCommit
from bot.core.timers import Timer, TimerState
from bot.core.transcript import MessageKey, TranscriptPosition
from bot.evidence.chain import GENESIS, seal
from tests.fakes.memory_activity import Key, MemoryActivityQueue, Queued


@dataclass
class _State:
    counters: dict[str, int] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    requests: dict[str, ActionRequest] = field(default_factory=dict)
    lines: dict[str, list[bytes]] = field(default_factory=dict)
    hashes: dict[str, list[str]] = field(default_factory=dict)
    checkpoints: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    heads: dict[str, LedgerHead] = field(default_factory=dict)
    approvals: dict[tuple[str, str], Approval] = field(default_factory=dict)
    timers: list[Timer] = field(default_factory=list)
    fired: list[tuple[int, float]] = field(default_factory=list)  # (timer id, lateness s)
    notices: dict[int, dict[str, object]] = field(default_factory=dict)
    notices_sent: dict[int, datetime] = field(default_factory=dict)
    notices_claimed: dict[int, datetime] = field(default_factory=dict)
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # key: (owner, until)
    transcript: dict[tuple[str, MessageKey], tuple[int, str]] = field(default_factory=dict)
    activity: dict[Key, Queued] = field(default_factory=dict)


Redact = Callable[[dict[str, object]], dict[str, object]]


def _unchanged(body: dict[str, object]) -> dict[str, object]:
    return body


class MemoryStore:
    def __init__(self, state: _State, redact: Redact = _unchanged) -> None:
        self.state = state
        self._redact = redact

    async def next_number(self, day: str) -> int:
        self.state.counters[day] = self.state.counters.get(day, 0) + 1
        return self.state.counters[day]

    async def add(self, incident: Incident) -> None:
        self.state.incidents[incident.id] = copy.deepcopy(incident)

    async def get(self, incident_id: str, *, for_update: bool = False) -> Incident | None:
        found = self.state.incidents.get(incident_id)
        return copy.deepcopy(found) if found else None

    async def save(self, incident: Incident) -> None:
        self.state.incidents[incident.id] = copy.deepcopy(incident)

    async def find_open_with_identity(self, identity_key: str) -> Incident | None:
        for incident in self.state.incidents.values():
            keys = {k for i in incident.identities for k in i.match_keys}
            if incident.is_open and identity_key in keys:
                return copy.deepcopy(incident)
        return None

    async def lock_identities(self, keys: Sequence[str]) -> None:
        """One event loop, no awaits in between: nothing to serialise."""

    async def find_by_room(self, platform: str, room_id: str) -> Incident | None:
        for incident in self.state.incidents.values():
            room = incident.room
            if room is not None and (room.platform, room.room_id) == (platform, room_id):
                return copy.deepcopy(incident)
        return None

    async def list_incidents(self) -> Sequence[Incident]:
        return [copy.deepcopy(i) for i in self.state.incidents.values()]

    async def add_request(self, request: ActionRequest) -> bool:
        if request.idempotency_key in self.state.requests:
            return False
        self.state.requests[request.idempotency_key] = copy.deepcopy(request)
        return True

    async def get_request(self, key: str) -> ActionRequest | None:
        found = self.state.requests.get(key)
        return copy.deepcopy(found) if found else None

    async def save_request(
        self, request: ActionRequest, *, expect: RequestStatus | None = None
    ) -> bool:
        stored = self.state.requests.get(request.idempotency_key)
        if expect is not None and (stored is None or stored.status is not expect):
            return False
        self.state.requests[request.idempotency_key] = copy.deepcopy(request)
        if request.status is not RequestStatus.RUNNING:
            self.state.leases.pop(request.idempotency_key, None)
        return True

    async def requests_for(self, incident_id: str) -> Sequence[ActionRequest]:
        return [r for r in self.state.requests.values() if r.incident_id == incident_id]

    async def add_approval(self, approval: Approval) -> bool:
        key = (approval.request_key, approval.approver.principal)
        if key in self.state.approvals:
            return False
        self.state.approvals[key] = approval
        return True

    async def approvals_for(self, request_key: str) -> list[Approval]:
        return [a for (k, _), a in self.state.approvals.items() if k == request_key]

    def _abandoned(self, key: str, now: datetime, older_than_s: float) -> bool:
        request = self.state.requests.get(key)
        if request is None or request.status is not RequestStatus.RUNNING:
            return False
        lease = self.state.leases.get(key)
        if lease is not None:
            return lease[1] <= now
        return request.requested_at < now - timedelta(seconds=older_than_s)

    async def abandoned(self, now: datetime, older_than_s: float) -> Sequence[ActionRequest]:
        return [
            copy.deepcopy(r)
            for k, r in self.state.requests.items()
            if self._abandoned(k, now, older_than_s)
        ]

    async def settle_abandoned(
        self, request: ActionRequest, now: datetime, older_than_s: float
    ) -> bool:
        if not self._abandoned(request.idempotency_key, now, older_than_s):
            return False
        return await self.save_request(request)

    async def take_lease(
        self, key: str, owner: str, ttl_s: float, now: datetime
    ) -> datetime | None:
        request = self.state.requests.get(key)
        held = self.state.leases.get(key)
        if request is None or request.status is not RequestStatus.RUNNING:
            return None
        if held is not None and held[0] != owner and held[1] > now:
            return None
        self.state.leases[key] = (owner, now + timedelta(seconds=ttl_s))
        return self.state.leases[key][1]

    async def renew_lease(
        self, key: str, owner: str, ttl_s: float, now: datetime
    ) -> datetime | None:
        held = self.state.leases.get(key)
        if held is None or held[0] != owner:
            return None
        return await self.take_lease(key, owner, ttl_s, now)

    async def append_evidence(self, record: EvidenceRecord) -> int:
        lines = self.state.lines.setdefault(record.incident_id, [])
        hashes = self.state.hashes.setdefault(record.incident_id, [])
        if lines:  # like the SQL store: never earlier than the previous entry
            previous = datetime.strptime(
                json.loads(lines[-1])["when"], "%Y-%m-%dT%H:%M:%S.%fZ"
            ).replace(tzinfo=UTC)
            record = replace(record, at=max(record.at, previous))
        sealed = seal(
            self._redact(record.as_body()), len(lines) + 1, hashes[-1] if hashes else GENESIS
        )
        head = await self.ledger_head(record.incident_id)
        if head is None and not lines:
            head = self.state.heads[record.incident_id] = LedgerHead(record.incident_id)
        lines.append(sealed.line)
        hashes.append(sealed.hash)
        if head is not None:  # like the SQL store: a head behind the entries is left behind
            head.appended(sealed.line, sealed.hash, str(record.as_body()["when"]))
        return sealed.seq

    async def evidence_lines(self, incident_id: str) -> Sequence[bytes]:
        return list(self.state.lines.get(incident_id, []))

    async def add_checkpoint(self, incident_id: str, size: int, note: str) -> None:
        self.state.checkpoints.setdefault(incident_id, []).append((size, note))

    async def checkpoints(self, incident_id: str) -> Sequence[tuple[int, str]]:
        return sorted(self.state.checkpoints.get(incident_id, []))

    async def last_checkpoint(self, incident_id: str) -> tuple[int, str] | None:
        signed = await self.checkpoints(incident_id)
        return signed[-1] if signed else None

    async def ledger_head(self, incident_id: str) -> LedgerHead | None:
        head = self.state.heads.get(incident_id)
        hashes = self.state.hashes.get(incident_id, [])
        if head is None or head.size != len(hashes):
            return None
        return head if head.last_hash == (hashes[-1] if hashes else GENESIS) else None

    async def keep_ledger_head(self, head: LedgerHead) -> None:
        self.state.heads[head.incident_id] = head


class MemoryTimers:
    def __init__(self, state: _State) -> None:
        self.state = state

    def _replace(self, old: Timer, **changes: object) -> None:
        index = self.state.timers.index(old)
        self.state.timers[index] = replace(old, **changes)  # type: ignore[arg-type]

    async def arm(
        self,
        incident_id: str,
        kind: StallKind,
        subject: str,
        started_at: datetime,
        due_at: datetime,
    ) -> Timer:
        await self.cancel(incident_id, kind, subject)
        gens = [
            t.generation
            for t in self.state.timers
            if (t.incident_id, t.kind, t.subject) == (incident_id, kind, subject)
        ]
        timer = Timer(
            incident_id,
            kind,
            subject,
            0,
            due_at,
            started_at,
            generation=max(gens, default=0) + 1,
            id=len(self.state.timers) + 1,
        )
        self.state.timers.append(timer)
        return timer

    async def arm_next(self, timer: Timer, step: int, due_at: datetime) -> Timer:
        nxt = replace(
            timer, step=step, due_at=due_at, id=len(self.state.timers) + 1, state=TimerState.PENDING
        )
        self.state.timers.append(nxt)
        return nxt

    async def cancel(self, incident_id: str, kind: StallKind, subject: str | None = None) -> int:
        hits = [
            t
            for t in self.state.timers
            if t.incident_id == incident_id
            and t.kind == kind
            and t.state is TimerState.PENDING
            and subject in (None, t.subject)
        ]
        for timer in hits:
            self._replace(timer, state=TimerState.CANCELLED)
        return len(hits)

    async def postpone(self, incident_id: str, kind: StallKind, until: datetime) -> int:
        hits = [
            t
            for t in self.state.timers
            if t.incident_id == incident_id and t.kind == kind and t.state is TimerState.PENDING
        ]
        for timer in hits:
            self._replace(timer, due_at=max(timer.due_at, until))
        return len(hits)

    async def due(self, now: datetime, limit: int) -> Sequence[tuple[int, str]]:
        ready = sorted(
            (t for t in self.state.timers if t.state is TimerState.PENDING and t.due_at <= now),
            key=lambda t: (t.due_at, t.id or 0),
        )
        return [(t.id or 0, t.incident_id) for t in ready[:limit]]

    async def claim(
        self, timer_id: int, incident_id: str, now: datetime, claimer: str
    ) -> Timer | None:
        found = next(
            (t for t in self.state.timers if t.id == timer_id and t.state is TimerState.PENDING),
            None,
        )
        if found is None:
            return None
        if found.due_at > now:
            return None
        self._replace(found, state=TimerState.FIRED)
        self.state.fired.append((timer_id, (now - found.due_at).total_seconds()))
        return replace(found, state=TimerState.FIRED, fired_at=now)

    async def pending(self, incident_id: str) -> Sequence[Timer]:
        return [
            t
            for t in self.state.timers
            if t.incident_id == incident_id and t.state is TimerState.PENDING
        ]

    async def claim_due(self, now: datetime, limit: int, claimer: str) -> Sequence[Timer]:
        """One process, one state: the batch is simply the oldest due timers."""
        claimed = []
        for timer_id, incident_id in await self.due(now, limit):
            timer = await self.claim(timer_id, incident_id, now, claimer)
            assert timer is not None
            claimed.append(timer)
        return claimed


class MemoryOutbox:
    """Created-at is the claim clock's concern; the fake treats every notice as old.
    A claim holds until it is older than ``stale_before``, as in the SQL outbox."""

    def __init__(self, state: _State) -> None:
        self.state = state

    async def add(self, incident_id: str, payload: dict[str, object]) -> int:
        notice_id = len(self.state.notices) + 1
        self.state.notices[notice_id] = dict(payload)
        return notice_id

    async def add_all(self, notices: Sequence[tuple[str, dict[str, object]]]) -> list[int]:
        return [await self.add(incident_id, payload) for incident_id, payload in notices]

    async def claim_unsent(
        self, now: datetime, stale_before: datetime, limit: int
    ) -> Sequence[tuple[int, dict[str, object]]]:
        ready = [
            (n, p)
            for n, p in self.state.notices.items()
            if n not in self.state.notices_sent
            and self.state.notices_claimed.get(n, stale_before - timedelta(1)) < stale_before
        ]
        for notice_id, _ in ready[:limit]:
            self.state.notices_claimed[notice_id] = now
        return ready[:limit]

    async def mark_sent(self, notice_id: int, at: datetime) -> None:
        self.state.notices_sent[notice_id] = at


class MemoryTranscript:
    """Room messages in the ledger, by (incident, key): (entry seq, thread id)."""

    def __init__(self, state: _State) -> None:
        self.state = state

    async def find(self, incident_id: str, key: MessageKey) -> int | None:
        found = self.state.transcript.get((incident_id, key))
        return found[0] if found else None

    async def add(self, incident_id: str, key: MessageKey, seq: int, thread_id: str) -> bool:
        if (incident_id, key) in self.state.transcript:
            return False
        self.state.transcript[(incident_id, key)] = (seq, thread_id)
        return True

    async def position(self, incident_id: str) -> TranscriptPosition:
        mine = [(k, v) for (i, k), v in self.state.transcript.items() if i == incident_id]
        said = [k.message_id for k, _ in mine if k.kind is What.CHANNEL_MESSAGE]
        threads = sorted({thread for _, (_, thread) in mine if thread})
        return TranscriptPosition(max(said, default=None), tuple(threads))


class MemoryDatabase:
    """Hands out units of work over one committed state."""

    def __init__(self, redact: Redact = _unchanged) -> None:
        self.committed = _State()
        self.redact = redact  # like the SQL store: secrets never reach the chain

    def uow(self, *, read_only: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self, read_only=read_only)


class MemoryUnitOfWork:
    def __init__(self, database: MemoryDatabase, *, read_only: bool = False) -> None:
        self._database = database
        self.read_only = read_only
        self.incidents = MemoryStore(copy.deepcopy(database.committed), database.redact)
        self.timers = MemoryTimers(self.incidents.state)
        self.outbox = MemoryOutbox(self.incidents.state)
        self.transcript = MemoryTranscript(self.incidents.state)
        self.activity = MemoryActivityQueue(self.incidents.state.activity)

    async def __aenter__(self) -> MemoryUnitOfWork:
        self.incidents = MemoryStore(copy.deepcopy(self._database.committed), self._database.redact)
        self.timers = MemoryTimers(self.incidents.state)
        self.outbox = MemoryOutbox(self.incidents.state)
        self.transcript = MemoryTranscript(self.incidents.state)
        self.activity = MemoryActivityQueue(self.incidents.state.activity)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        if self.read_only:
            raise ReadOnlyCommit("this unit of work was opened read-only")
        self._database.committed = copy.deepcopy(self.incidents.state)

    async def rollback(self) -> None:
        self.incidents = MemoryStore(copy.deepcopy(self._database.committed), self._database.redact)
        self.timers = MemoryTimers(self.incidents.state)
        self.outbox = MemoryOutbox(self.incidents.state)
        self.transcript = MemoryTranscript(self.incidents.state)
        self.activity = MemoryActivityQueue(self.incidents.state.activity)
