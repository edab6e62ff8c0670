"""Evidence ledger benchmark: appending, signing, exporting and verifying.

For each ledger size (1k, 10k, 100k entries) on a fresh database:

* append + checkpoint: the ledger built with a checkpoint signed after every five
  entries, through the store and the signer the service uses; then, on the grown
  ledger, transactions of five entries and a checkpoint (what a settled action
  does), whose time should not grow with the ledger;
* append vs raw: the same number of entries appended through the ledger in
  transactions of 1,000, against inserting the very rows it wrote with plain
  multi-row INSERTs in transactions of 1,000 (the ratio is the ledger's share of
  raw insert speed), with the production redactor (detect-secrets and the
  forms), with the redactor's core alone (no finders), and with none;
* export (``blastwall evidence export``'s code) and verify (in a child process,
  ``verify_bundle`` with the public key: wall time and peak RSS).

Runs on SQLite, and on PostgreSQL when one answers on 127.0.0.1:5432. It prints
figures; it asserts nothing about speed.

    python bench/ledger.py                      # 1k, 10k and 100k, both databases
    python bench/ledger.py --sizes 1000 --databases sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_databases import drop_database, fresh_database, postgres_answers
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from bot.core.actors import Actor
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Environment, Incident, Severity
from bot.core.redaction import Redactor
from bot.evidence.export import export_incident
from bot.evidence.notes import NoteSigner
from bot.evidence.signing import public_key_pem, redaction_key
from bot.secrets import build_redactor
from bot.service.checkpoints import checkpoint
from bot.storage.migrate import upgrade
from bot.storage.models import EvidenceEntryRow
from bot.storage.unit_of_work import Database

ALICE = Actor("slack", "U0EXAMPLE1", "Alice")
EVERY = 5  # entries per checkpointed transaction
CHUNK = 1000  # entries per transaction when building, and in the append-vs-raw comparison
ACTIONS = 100  # transactions timed on the grown ledger
VERIFY = """
import resource, sys, time
from pathlib import Path
from bot.evidence.signing import load_public_key
from bot.evidence.verify import verify_bundle
key = load_public_key(Path(sys.argv[2]).read_bytes())
started = time.perf_counter()
verdict = verify_bundle(Path(sys.argv[1]), key)
elapsed = time.perf_counter() - started
assert verdict.ok, verdict.reason
peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(elapsed, peak[0].split()[1] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""  # VmHWM: ru_maxrss would carry the forking parent's peak across exec


def _record(incident_id: str, n: int) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id,
        What.ACTION_SUCCEEDED,
        ALICE,
        datetime.now(UTC),
        why=f"contain leaked key number {n}",
        right="ir.containment",
        before={"status": "Active"},
        after={"status": "Inactive"},
        outcome="succeeded",
        details={"action": "aws.iam.deactivate_access_key", "target": f"AKIAEXAMPLE{n:09d}"},
    )


async def _declare(database: Database, incident_id: str) -> None:
    async with database.uow() as uow:
        await uow.incidents.add(
            Incident(
                id=incident_id,
                title="bench",
                severity=Severity.SEV2,
                environment=Environment.PRODUCTION,
                playbook="leaked-cloud-access-key",
                declared_at=datetime.now(UTC),
                declared_by=ALICE,
            )
        )
        await uow.commit()


async def _built(database: Database, signer: NoteSigner, incident: str, n: int) -> float:
    """Seconds to append ``n`` entries with a checkpoint signed after every five, in
    transactions of 1,000 (the ledger's own work, without a commit per checkpoint)."""
    started = time.perf_counter()
    for first in range(0, n, CHUNK):
        async with database.uow() as uow:
            await uow.incidents.get(incident, for_update=True)
            for k in range(first, min(first + CHUNK, n)):
                await uow.incidents.append_evidence(_record(incident, k))
                if (k + 1) % EVERY == 0:
                    await checkpoint(uow.incidents, signer, incident)
            await uow.commit()
    return time.perf_counter() - started


async def _actions(database: Database, signer: NoteSigner, incident: str) -> float:
    """Milliseconds per transaction of five entries and a checkpoint (a settled action)
    on a ledger already ``n`` long: flat in ``n`` when signing reads no entry back."""
    started = time.perf_counter()
    for _ in range(ACTIONS):
        async with database.uow() as uow:
            await uow.incidents.get(incident, for_update=True)
            for k in range(EVERY):
                await uow.incidents.append_evidence(_record(incident, k))
            await checkpoint(uow.incidents, signer, incident)
            await uow.commit()
    return (time.perf_counter() - started) / ACTIONS * 1000


async def _appended(database: Database, incident: str, n: int) -> float:
    started = time.perf_counter()
    for first in range(0, n, CHUNK):
        async with database.uow() as uow:
            await uow.incidents.get(incident, for_update=True)
            for k in range(first, min(first + CHUNK, n)):
                await uow.incidents.append_evidence(_record(incident, k))
            await uow.commit()
    return time.perf_counter() - started


async def _raw(database: Database, source: str, target: str) -> float:
    """Seconds to insert the rows ``source`` holds again, as ``target``'s, in plain INSERTs
    (each hash made unique again, as the ``hash`` column demands; same length)."""
    async with database.engine.connect() as conn:
        stored = await conn.execute(
            select(EvidenceEntryRow.__table__).where(EvidenceEntryRow.incident_id == source)
        )
        rows = [{**r._asdict(), "incident_id": target, "hash": _other(r.hash)} for r in stored]
    started = time.perf_counter()
    for first in range(0, len(rows), CHUNK):
        async with database.engine.begin() as conn:
            await conn.execute(insert(EvidenceEntryRow), rows[first : first + CHUNK])
    return time.perf_counter() - started


def _unredacted(body: dict[str, object]) -> dict[str, object]:
    """No redaction at all: the ledger's own cost, for comparison only."""
    return body


def _other(digest: str) -> str:
    return hashlib.sha256(digest.encode()).hexdigest()


def _verify(bundle: Path, pem: Path) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", VERIFY, str(bundle), str(pem)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024  # KiB either way


async def _one(kind: str, n: int, workdir: Path, key: Ed25519PrivateKey) -> dict[str, Any]:
    url, name = await fresh_database(kind, workdir)
    redactors: dict[str, Callable[[dict[str, object]], dict[str, object]]] = {
        "production": build_redactor(redaction_key(key)).redact_body,
        "no finders": Redactor(redaction_key(key)).redact_body,
        "none": _unredacted,
    }
    try:
        await upgrade(url)
        database = Database(url, redactors["production"])
        signer = NoteSigner(key, origin="bench.blastwall.example")
        ids = [f"INC-20261201-{k:04d}" for k in range(1, 8)]
        for incident in ids:
            await _declare(database, incident)
        figures: dict[str, Any] = {"db": kind, "entries": n}
        figures["built_s"] = await _built(database, signer, ids[0], n)
        bundle = workdir / f"{kind}-{n}.zip"
        started = time.perf_counter()
        await export_incident(database.uow, key, ids[0], bundle)
        figures["export_s"] = time.perf_counter() - started
        figures["action_ms"] = await _actions(database, signer, ids[0])
        pairs = ((ids[1], ids[2]), (ids[3], ids[4]), (ids[5], ids[6]))
        for label, (incident, raw_target) in zip(redactors, pairs, strict=True):
            other = Database(url, redactors[label])
            figures[f"append_s[{label}]"] = await _appended(other, incident, n)
            figures[f"raw_s[{label}]"] = await _raw(other, incident, raw_target)
            await other.dispose()
        pem = workdir / "public.pem"
        pem.write_bytes(public_key_pem(key))
        figures["verify_s"], figures["verify_peak_mib"] = _verify(bundle, pem)
        figures["bundle_mib"] = bundle.stat().st_size / 2**20
        await database.dispose()
        return figures
    finally:
        await drop_database(name)


def _print(f: dict[str, Any]) -> None:
    n = f["entries"]
    print(f"\n{f['db']}, {n:,} entries")
    built = f["built_s"]
    print(
        f"  append with a checkpoint every {EVERY}: {n / built:,.0f} entries/s, "
        f"{n / EVERY / built:,.0f} checkpoints/s ({built:.2f} s)"
    )
    print(
        f"  then one action ({EVERY} entries + checkpoint, own transaction): "
        f"{f['action_ms']:.1f} ms"
    )
    for label in ("production", "no finders", "none"):
        ledger, raw = f[f"append_s[{label}]"], f[f"raw_s[{label}]"]
        print(
            f"  append ({label} redactor), {CHUNK} per transaction: {n / ledger:,.0f} entries/s; "
            f"raw INSERT of the same rows {n / raw:,.0f}/s; ledger = {raw / ledger:.0%} of raw"
        )
    print(f"  export {f['export_s']:.2f} s ({f['bundle_mib']:.1f} MiB bundle)")
    print(f"  verify {f['verify_s']:.2f} s, peak RSS {f['verify_peak_mib']:.0f} MiB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    kinds = args.databases.split(",")
    if "postgresql" in kinds and not await postgres_answers():
        print("PostgreSQL does not answer on 127.0.0.1:5432: SQLite only")
        kinds.remove("postgresql")
    key = Ed25519PrivateKey.generate()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for n in (int(s) for s in args.sizes.split(",")):
                results.append(await _one(kind, n, Path(tmp), key))
                _print(results[-1])
    print("\n" + json.dumps(results, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
