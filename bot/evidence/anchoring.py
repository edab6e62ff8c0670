"""Keeping every incident's ledger signed and anchored outside Blastwall.

A pass, run every ``BLASTWALL_ANCHOR_INTERVAL`` seconds by the web process:
for each incident with entries no checkpoint covers, or checkpoints not yet
anchored, it

1. signs a checkpoint over the new entries (after checking the stored ledger
   still matches the last signed checkpoint: a rewrite is refused and alarmed);
2. asks the TSA (``BLASTWALL_TSA_URL``) for an RFC 3161 token over each
   unstamped note; a TSA outage records a ``tsa_gap`` and is retried next pass;
3. posts ``<origin> <size> <root>`` into the incident's channel, so the chat
   platform keeps a copy of every signed head that Blastwall cannot edit.

Network calls happen outside transactions, and nothing here sits on the path
of a containment action: an outage delays an anchor, never an action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Protocol

from bot.core.incidents import Incident
from bot.core.log_context import about_incident
from bot.core.ports import IncidentStore
from bot.evidence.timestamps import Timestamper, TimestampError
from bot.service.checkpoints import HistoryRewritten, raise_alarm, sign_checkpoint
from bot.service.context import Services
from bot.service.notify.room_opening import archive_closed_room
from bot.storage.anchors import Anchor

log = logging.getLogger(__name__)
RFC3161, TSA_GAP, WITNESS = "rfc3161", "tsa_gap", "witness"
BATCH = 50


class AnchorStore(Protocol):
    async def add(
        self, incident_id: str, size: int, kind: str, token: bytes | None = None, detail: str = ""
    ) -> None: ...

    async def of(self, incident_id: str) -> Sequence[Anchor]: ...

    async def needing_work(self, kinds: Sequence[str], limit: int) -> Sequence[str]: ...


class AnchoringUnitOfWork(Protocol):
    @property
    def incidents(self) -> IncidentStore: ...

    @property
    def anchors(self) -> AnchorStore: ...

    async def __aenter__(self) -> AnchoringUnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


def witness_line(note: str) -> str:
    """The checkpoint body's origin, size and root, joined by single spaces."""
    return " ".join(note.split("\n", 3)[:3])


class Anchoring:
    def __init__(
        self,
        uow: Callable[[], AnchoringUnitOfWork],
        svc: Services,
        timestamper: Timestamper | None,
    ) -> None:
        self._uow = uow
        self._svc = svc
        self._tsa = timestamper
        self._alarmed: set[tuple[str, str]] = set()  # (incident, note): one post each

    async def run(self) -> int:
        """One pass over every incident with work to do; returns how many were visited."""
        kinds = [WITNESS, RFC3161] if self._tsa else [WITNESS]
        async with self._uow() as uow:
            incident_ids = await uow.anchors.needing_work(kinds, BATCH)
        for incident_id in incident_ids:
            about_incident(incident_id)
            try:
                await self.anchor(incident_id)
            except Exception:
                log.exception("anchoring %s failed; retrying on the next pass", incident_id)
        return len(incident_ids)

    async def anchor(self, incident_id: str) -> None:
        signed = await self._sign(incident_id)
        if signed is None:
            return
        incident, notes = signed
        async with self._uow() as uow:
            anchors = await uow.anchors.of(incident_id)
        if self._tsa is not None:
            await self._stamp(incident_id, notes, anchors, self._tsa)
        await self._witness(incident, notes, anchors)

    async def _sign(self, incident_id: str) -> tuple[Incident, list[tuple[int, str]]] | None:
        """Sign, and read the incident under the same lock as its checkpoints: a closed
        incident read here is sealed, so these notes include its final checkpoint and
        the room may be archived once they are posted (a later read could see a close
        whose final checkpoint these notes lack)."""
        async with self._uow() as uow:
            incident = await uow.incidents.get(incident_id, for_update=True)
            if incident is None:
                return None
            try:
                await sign_checkpoint(uow.incidents, self._svc.signer, incident_id)
            except HistoryRewritten as exc:
                raise_alarm(exc)
                incident = await uow.incidents.get(incident_id)
                if incident is not None and (incident_id, exc.note) not in self._alarmed:
                    self._alarmed.add((incident_id, exc.note))
                    await self._alarm(incident, exc)
                return None
            notes = list(await uow.incidents.checkpoints(incident_id))
            await uow.commit()
        return incident, notes

    async def _alarm(self, incident: Incident, exc: HistoryRewritten) -> None:
        notifier = self._svc.notifier_for(incident)
        if notifier is None or incident.room is None:
            return
        await notifier.announce(
            incident,
            f"EVIDENCE ALARM: {exc}. No checkpoint was signed. Keep every bundle and "
            "witness line you already hold: they show the ledger as it was signed.",
        )

    async def _stamp(
        self,
        incident_id: str,
        notes: list[tuple[int, str]],
        anchors: Sequence[Anchor],
        tsa: Timestamper,
    ) -> None:
        stamped = {a.size for a in anchors if a.kind == RFC3161}
        gaps = {a.size for a in anchors if a.kind == TSA_GAP}
        for size, note in notes:
            if size in stamped:
                continue
            try:
                stamp = await tsa.stamp(note.encode("utf-8"))
            except TimestampError as exc:
                log.warning("no timestamp for %s at size %d: %s", incident_id, size, exc)
                if size not in gaps:
                    await self._record(incident_id, size, TSA_GAP, None, str(exc))
                return  # the TSA is down: try again next pass
            await self._record(incident_id, size, RFC3161, stamp.token, stamp.gen_time.isoformat())

    async def _witness(
        self, incident: Incident, notes: list[tuple[int, str]], anchors: Sequence[Anchor]
    ) -> None:
        notifier = self._svc.notifier_for(incident)
        if notifier is None or incident.room is None:
            return  # no channel yet: posted once there is one
        posted = {a.size for a in anchors if a.kind == WITNESS}
        for size, note in notes:
            if size not in posted:
                await notifier.announce(incident, witness_line(note))
                await self._record(incident.id, size, WITNESS, None, incident.room.room_id)
        if any(size not in posted for size, _ in notes):  # the final line is out: archive
            await archive_closed_room(incident, notifier, self._svc)

    async def _record(
        self, incident_id: str, size: int, kind: str, token: bytes | None, detail: str
    ) -> None:
        async with self._uow() as uow:
            await uow.anchors.add(incident_id, size, kind, token, detail)
            await uow.commit()
