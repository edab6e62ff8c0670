"""Offline verification of an evidence bundle: the zip and a public key, nothing else.

The verdict never says "signed" unless the caller gave the key to trust: a
bundle carries its own public key, and anyone who rewrites a bundle can pack
their own key into it. Without a trusted key every other check still runs, and
the verdict says ``signer not checked`` and gives the embedded key's
fingerprint for the auditor to compare out of band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.evidence.anchors import check_cosignatures, check_prior, check_witness_log
from bot.evidence.archive import Refused
from bot.evidence.contents import Bundle, Tampered, open_bundle
from bot.evidence.signing import fingerprint
from bot.evidence.timestamps import check_timestamps
from bot.evidence.witnesses import WitnessKey

__all__ = ["Refused", "Tampered", "Verdict", "verify_bundle"]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    entries: int = 0
    checkpoints: int = 0
    signer_checked: bool = False
    fingerprint: str = ""
    findings: tuple[str, ...] = ()


def verify_bundle(
    path: Path,
    public_key: Ed25519PublicKey | None = None,
    *,
    prior: Path | None = None,
    witness_keys: Sequence[WitnessKey] = (),
    witness_log: str | None = None,
    tsa_cert: x509.Certificate | None = None,
) -> Verdict:
    """Intact or not, with the reason; never raises for anything a bundle holds."""
    try:
        bundle = open_bundle(path, public_key)
        findings = _anchors(bundle, public_key, prior, witness_keys, witness_log)
        findings.append(check_timestamps(bundle, tsa_cert))
    except Refused as exc:
        return Verdict(False, str(exc))
    embedded = fingerprint(bundle.embedded_key)
    if public_key is not None:
        reason = f"the ledger is intact and signed by the given key ({fingerprint(public_key)})"
    else:
        reason = f"the ledger is intact; signer not checked (embedded key {embedded})"
    return Verdict(
        True,
        reason,
        len(bundle.lines),
        len(bundle.checkpoints),
        signer_checked=public_key is not None,
        fingerprint=embedded,
        findings=tuple(findings),
    )


def _anchors(
    bundle: Bundle,
    key: Ed25519PublicKey | None,
    prior: Path | None,
    witness_keys: Sequence[WitnessKey],
    witness_log: str | None,
) -> list[str]:
    findings = [f"origin {bundle.latest.origin}", bundle.review]
    if prior is not None:
        findings.append(check_prior(bundle, prior, key))
    findings += check_cosignatures(bundle, witness_keys)
    if witness_log is not None:
        findings.append(check_witness_log(bundle, witness_log))
    return findings
