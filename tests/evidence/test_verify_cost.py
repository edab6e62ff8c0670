"""Verifying reads each entry once: O(n + c log n) hashes for n entries and c checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core import merkle
from bot.core.actors import Actor
from bot.core.evidence import EvidenceRecord, What
from bot.evidence import contents
from bot.evidence.bundle import write_bundle
from bot.evidence.chain import GENESIS, seal
from bot.evidence.report import render_report
from bot.evidence.signing import public_key_pem
from tests.evidence.bundles import INCIDENT, KEY, blastwall, notes

ENTRIES, EVERY = 400, 5


def _ledger(count: int) -> list[bytes]:
    lines, previous = [], GENESIS
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for n in range(1, count + 1):
        at = start + timedelta(seconds=n)
        record = EvidenceRecord(INCIDENT, What.REQUEST_REFUSED, Actor("slack", f"U{n}"), at)
        sealed = seal(record.as_body(), n, previous)
        lines.append(sealed.line)
        previous = sealed.hash
    return lines


class Counted:
    """Counts calls of the functions it wraps, and passes them through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: dict[str, int] = {}
        self._patch = monkeypatch

    def wrap(self, module: object, name: str) -> None:
        real = getattr(module, name)
        self.calls[name] = 0

        def counted(*args: object, **named: object) -> object:
            self.calls[name] += 1
            return real(*args, **named)

        self._patch.setattr(module, name, counted)


def test_verifying_hashes_each_entry_once_and_each_checkpoint_in_log_n(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _ledger(ENTRIES)
    sizes = list(range(EVERY, ENTRIES + 1, EVERY))
    bundle = tmp_path / "bundle.zip"
    report = render_report(INCIDENT, lines)
    write_bundle(bundle, INCIDENT, lines, notes(lines, sizes), public_key_pem(KEY), report)
    key = tmp_path / "key.pem"
    key.write_bytes(public_key_pem(KEY))

    counted = Counted(monkeypatch)
    for name in ("leaf_hash", "node_hash"):
        counted.wrap(merkle, name)
    counted.wrap(contents, "leaf_hash")  # imported by name there
    counted.wrap(contents, "canonical_without")
    code, _, err = blastwall(capsys, "evidence", "verify", bundle, "--key", key)

    assert code == 0, err
    checkpoints, log_n = len(sizes), ENTRIES.bit_length()
    assert counted.calls["canonical_without"] == ENTRIES  # each entry canonicalised once
    assert counted.calls["leaf_hash"] == ENTRIES
    nodes = counted.calls["node_hash"]
    assert nodes <= ENTRIES + checkpoints * 3 * log_n
    assert nodes < checkpoints * ENTRIES // 4  # what recomputing each root from scratch costs
