"""The ports the service layer needs. Every port has a fake under tests/fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, runtime_checkable

from bot.core.actions import (
    ActionOutcome,
    ActionPlan,
    ActionRequest,
    ActionSpec,
    RequestStatus,
    Verification,
)
from bot.core.activity import ActivityReport, ActivityWindow, Collection
from bot.core.actors import Actor
from bot.core.approvals import Approval
from bot.core.cards import Card, Prompt
from bot.core.escalation import StallKind
from bot.core.evidence import EvidenceRecord
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident, MessageRef, RoomRef
from bot.core.ledger import LedgerHead
from bot.core.measures import Measure
from bot.core.timers import Timer
from bot.core.transcript import MessageKey, TranscriptPosition


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Connector(Protocol):
    """An external system Blastwall acts on."""

    name: str

    def specs(self) -> Sequence[ActionSpec]: ...

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        """Read the current state and say what would change; change nothing."""
        ...

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        """Make the change. Idempotent: "already in that state" is success."""
        ...

    async def verify(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> Verification:
        """Read back until the change is visible (IAM is eventually consistent), bounded."""
        ...

    async def undo(
        self,
        action_id: str,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> ActionOutcome:
        """Restore from the snapshot; refuse (ok=False, error_code "unsafe" or
        "irreversible") when that would hand access back, saying why."""
        ...


@runtime_checkable
class RoomArchiver(Protocol):
    """A chat surface whose rooms can be archived once the incident is closed."""

    async def archive_room(self, incident: Incident) -> None: ...


class Notifier(Protocol):
    """A chat surface. Implementations translate; they decide nothing."""

    platform: str

    async def open_room(
        self, incident: Incident, invitees: Sequence[Actor], *, private: bool = True
    ) -> RoomRef:
        """Create the incident's room; ``private`` unless its playbook says public."""
        ...

    async def announce(self, incident: Incident, text: str) -> None:
        """Post plain text in the incident room; ``text`` is untrusted and is escaped."""
        ...

    async def announce_commander(self, incident: Incident, commander: Actor) -> None:
        """Name the commander in the room, with a mention that notifies them."""
        ...

    async def ask(self, incident: Incident, people: Sequence[Actor], prompt: Prompt) -> None:
        """Put a question with buttons in the room, and to each person directly."""
        ...

    async def post_card(self, incident: Incident, card: Card) -> MessageRef: ...

    async def update_card(self, ref: MessageRef, card: Card) -> None: ...

    async def tell(self, incident: Incident, actor: Actor, text: str) -> None:
        """Tell one person privately (Slack: an ephemeral message)."""
        ...


class CheckpointSigner(Protocol):
    def sign(self, incident_id: str, size: int, root_hash: bytes) -> str:
        """Return a signed note over (incident, size, root hash)."""
        ...

    def verify(self, note: str) -> tuple[int, bytes]:
        """(size, root hash) of a note this signer signed; raises if it did not sign it."""
        ...


class IncidentStore(Protocol):
    async def next_number(self, day: str) -> int:
        """The next incident number of that UTC day (``YYYYMMDD``), reserved atomically."""
        ...

    async def add(self, incident: Incident) -> None: ...

    async def get(self, incident_id: str, *, for_update: bool = False) -> Incident | None: ...

    async def save(self, incident: Incident) -> None: ...

    async def find_open_with_identity(self, identity_key: str) -> Incident | None:
        """The open incident holding an identity with this key (or match key)."""
        ...

    async def lock_identities(self, keys: Sequence[str]) -> None:
        """Serialise declarations about these identities until the transaction ends,
        so two replicas never both open an incident for one leak."""
        ...

    async def find_by_room(self, platform: str, room_id: str) -> Incident | None:
        """The incident whose room this is (a Slack channel, a Teams chat)."""
        ...

    async def list_incidents(self) -> Sequence[Incident]: ...

    async def add_request(self, request: ActionRequest) -> bool:
        """Insert; False when the idempotency key is already taken (nothing is written)."""
        ...

    async def get_request(self, key: str) -> ActionRequest | None: ...

    async def save_request(
        self, request: ActionRequest, *, expect: RequestStatus | None = None
    ) -> bool:
        """Write the request. With ``expect``, only if its stored status still is that;
        False (nothing written) otherwise. A request no longer running drops its lease."""
        ...

    async def requests_for(self, incident_id: str) -> Sequence[ActionRequest]: ...

    async def abandoned(self, now: datetime, older_than_s: float) -> Sequence[ActionRequest]:
        """Intents still running whose call lease has lapsed, or that never took one and
        are older than ``older_than_s``; on PostgreSQL by the database's clock."""
        ...

    async def settle_abandoned(
        self, request: ActionRequest, now: datetime, older_than_s: float
    ) -> bool:
        """Write the reconciled outcome only if the intent is still abandoned."""
        ...

    async def take_lease(
        self, key: str, owner: str, ttl_s: float, now: datetime
    ) -> datetime | None:
        """Hold the call lease of a running request (unless a live holder has it);
        returns its expiry on the database's clock, or None."""
        ...

    async def renew_lease(
        self, key: str, owner: str, ttl_s: float, now: datetime
    ) -> datetime | None:
        """Extend one's own lease; None once the request is settled or the lease lost."""
        ...

    async def add_approval(self, approval: Approval) -> bool:
        """Record one person's decision; False when they already decided (nothing written)."""
        ...

    async def approvals_for(self, request_key: str) -> list[Approval]: ...

    async def append_evidence(self, record: EvidenceRecord) -> int:
        """Append to the incident's chain; returns the entry's sequence number."""
        ...

    async def evidence_lines(self, incident_id: str) -> Sequence[bytes]:
        """The entries in order, each as its canonical JSON bytes."""
        ...

    async def add_checkpoint(self, incident_id: str, size: int, note: str) -> None: ...

    async def checkpoints(self, incident_id: str) -> Sequence[tuple[int, str]]: ...

    async def last_checkpoint(self, incident_id: str) -> tuple[int, str] | None:
        """The newest (size, note), or None before the first checkpoint."""
        ...

    async def ledger_head(self, incident_id: str) -> LedgerHead | None:
        """The head kept with the entries, if it agrees with the last stored entry;
        None when there is none or entries were added without it (rebuild it)."""
        ...

    async def keep_ledger_head(self, head: LedgerHead) -> None:
        """Keep the head (rebuilt, or moved on by a checkpoint) with this transaction."""
        ...


class TimerStore(Protocol):
    async def arm(
        self,
        incident_id: str,
        kind: StallKind,
        subject: str,
        started_at: datetime,
        due_at: datetime,
    ) -> Timer:
        """Start the ladder for a stall; pending timers of an older generation are cancelled."""
        ...

    async def arm_next(self, timer: Timer, step: int, due_at: datetime) -> Timer: ...

    async def cancel(
        self, incident_id: str, kind: StallKind, subject: str | None = None
    ) -> int: ...

    async def postpone(self, incident_id: str, kind: StallKind, until: datetime) -> int: ...

    async def due(self, now: datetime, limit: int) -> Sequence[tuple[int, str]]: ...

    async def claim(
        self, timer_id: int, incident_id: str, now: datetime, claimer: str
    ) -> Timer | None:
        """Mark one due timer fired, exactly once across processes; None if already taken
        or, by the database's clock, not due yet. The result carries ``fired_at``."""
        ...

    async def pending(self, incident_id: str) -> Sequence[Timer]: ...

    async def claim_due(self, now: datetime, limit: int, claimer: str) -> Sequence[Timer]:
        """Mark up to ``limit`` due timers fired for ``claimer``, oldest first, in this
        unit of work, and return them (each with ``fired_at``). Never waits for another
        claimer: timers whose incident another transaction holds are left for the next
        round, so concurrent claimers get disjoint batches."""
        ...


class Outbox(Protocol):
    """Notices to people that commit with the change that caused them."""

    async def add(self, incident_id: str, payload: dict[str, object]) -> int: ...

    async def add_all(self, notices: Sequence[tuple[str, dict[str, object]]]) -> list[int]:
        """Several (incident id, payload) notices in one write; their ids, in order."""
        ...

    async def claim_unsent(
        self, now: datetime, stale_before: datetime, limit: int
    ) -> Sequence[tuple[int, dict[str, object]]]:
        """Unsent notices created before ``stale_before``, claimed so one process sends them."""
        ...

    async def mark_sent(self, notice_id: int, at: datetime) -> None: ...


class TranscriptStore(Protocol):
    """Which room messages are in the ledger already, by key (issue 13)."""

    async def find(self, incident_id: str, key: MessageKey) -> int | None:
        """The sequence number of the entry recorded under ``key``, if any."""
        ...

    async def add(self, incident_id: str, key: MessageKey, seq: int, thread_id: str) -> bool:
        """Remember ``key`` as entry ``seq``; False (nothing written) when it is taken."""
        ...

    async def position(self, incident_id: str) -> TranscriptPosition: ...


@runtime_checkable
class ActivitySource(Protocol):
    """A connector that can also say what an identity did (optional: a connector
    without these methods simply has no activity to give)."""

    def covers(self, identity: AffectedIdentity) -> bool:
        """True when this source can read this identity's activity as configured."""
        ...

    async def activity(self, identity: AffectedIdentity, window: ActivityWindow) -> ActivityReport:
        """The identity's events in the window, oldest first, at most ``max_events``
        (``truncated`` when there were more). Reads only. Raises ``ActivityUnavailable``
        when the vendor cannot answer."""
        ...


class ActivityQueue(Protocol):
    """Collections of identity activity still to make, claimed so one process makes each."""

    async def add(self, collection: Collection, now: datetime) -> bool:
        """Queue it; False (nothing written) when this incident, identity and phase
        already has one."""
        ...

    async def last_until(self, incident_id: str, identity_key: str) -> datetime | None:
        """Where the identity's latest queued window for this incident ends."""
        ...

    async def claim(
        self, owner: str, now: datetime, ttl_s: float, limit: int
    ) -> Sequence[Collection]:
        """Unfinished collections nobody holds (or whose holder's claim lapsed), now held
        by ``owner`` until ``now + ttl_s``."""
        ...

    async def finish(self, collection: Collection, owner: str, now: datetime) -> bool:
        """Mark it done if ``owner`` still holds it; False (nothing written) otherwise,
        so a holder whose claim lapsed and was taken over records nothing."""
        ...


class UnitOfWork(Protocol):
    """One transaction: a state change and its evidence commit together or not at all."""

    @property
    def incidents(self) -> IncidentStore: ...

    @property
    def timers(self) -> TimerStore: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def transcript(self) -> TranscriptStore: ...

    @property
    def activity(self) -> ActivityQueue: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitsOfWork(Protocol):
    """Opens units of work. ``read_only`` ones only read: they never wait for a writer
    and cannot commit (the read side: pages, cards, health)."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


class ReadOnlyCommit(RuntimeError):
    """``commit`` on a unit of work opened read-only: a read path tried to write."""


class SecretAlertLookup(Protocol):
    """Reads one secret scanning alert from its source (GitHub's REST API), because the
    webhook does not carry the leaked value. Returns the alert's JSON object, or raises
    ``AlertLookupFailed`` saying why it could not."""

    async def __call__(
        self, repository: str, number: int, installation_id: int | None
    ) -> dict[str, object]: ...


class AlertLookupFailed(Exception):
    """The alert could not be read (not found, refused, unavailable, timed out)."""


class Metrics(Protocol):
    """Where the service records a measurement (bot.core.measures); the Prometheus
    adapter serves them on ``/metrics``. Must never raise into the caller."""

    def observe(
        self, measure: Measure, value: float, labels: Mapping[str, str] | None = None
    ) -> None: ...
