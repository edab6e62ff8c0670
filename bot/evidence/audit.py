"""The auditor's commands: ``evidence verify``, ``evidence prove``, ``evidence verify-proof``.

Exit codes follow the CLI's: 0 intact, 1 refused (the reason on stderr, one
line, never a traceback), 2 the request itself is wrong (a key or file that
cannot be read, an entry number the bundle does not hold).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.evidence.archive import Refused
from bot.evidence.signing import SigningKeyError, load_public_key
from bot.evidence.witnesses import WitnessError, WitnessKey, load_witness_key

MAX_INPUT = 64 * 1024 * 1024


class BadRequest(Exception):
    """An input the auditor named cannot be used: exit code 2."""


def run_verify(args: argparse.Namespace) -> int:
    from bot.evidence.verify import verify_bundle

    try:
        key = _key(args.key)
        witnesses = _witnesses(args.witness_key)
        log = _read(args.witness_log).decode("utf-8", "replace") if args.witness_log else None
        tsa = _tsa_cert(args.tsa_cert)
    except BadRequest as exc:
        return _bad_request(exc)
    verdict = verify_bundle(
        args.bundle, key, prior=args.prior, witness_keys=witnesses, witness_log=log, tsa_cert=tsa
    )
    if not verdict.ok:
        print(f"NOT VERIFIED: {verdict.reason}", file=sys.stderr)
        return 1
    print(
        f"verified: {verdict.entries} entries, {verdict.checkpoints} checkpoints. {verdict.reason}"
    )
    if not verdict.signer_checked:
        print(f"signer not checked: compare {verdict.fingerprint} with the key you trust")
    for finding in verdict.findings:
        print(f"  {finding}")
    return 0


def run_prove(args: argparse.Namespace) -> int:
    from bot.evidence.contents import open_bundle
    from bot.evidence.inclusion import write_proof

    try:
        key = _key(args.key)
        bundle = open_bundle(args.bundle, key)
        proof = write_proof(bundle, args.seq)
    except BadRequest as exc:
        return _bad_request(exc)
    except Refused as exc:
        print(f"NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        return _bad_request(exc)
    if args.output is None:
        sys.stdout.write(proof)
        return 0
    try:
        args.output.write_text(proof, encoding="utf-8")
    except OSError as exc:
        return _bad_request(exc)
    print(f"wrote {args.output}: entry {args.seq} of {bundle.incident}", file=sys.stderr)
    return 0


def run_verify_proof(args: argparse.Namespace) -> int:
    from bot.evidence.inclusion import verify_proof

    try:
        key = _key(args.key)
        witnesses = _witnesses(args.witness_key)
        text = _read(args.proof).decode("utf-8")
        entry = _read(args.entry) if args.entry else None
        proven = verify_proof(text, entry, key, witnesses)
    except (BadRequest, UnicodeDecodeError) as exc:
        return _bad_request(exc)
    except Refused as exc:
        print(f"NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    signer = "signed by the given key" if proven.signer_checked else "signer not checked"
    print(
        f"verified: entry {proven.seq} is in {proven.checkpoint.origin} at "
        f"{proven.checkpoint.size} entries; {signer}"
    )
    for name in proven.cosigners:
        print(f"  witness {name} cosigned the checkpoint")
    return 0


def _key(path: Path | None) -> Ed25519PublicKey | None:
    if path is None:
        return None
    try:
        return load_public_key(_read(path))
    except SigningKeyError as exc:
        raise BadRequest(f"cannot use the key {path}: {exc}") from exc


def _tsa_cert(path: Path | None) -> x509.Certificate | None:
    from bot.evidence.timestamps import TimestampError, load_certificate

    if path is None:
        return None
    try:
        return load_certificate(_read(path))
    except TimestampError as exc:
        raise BadRequest(f"cannot use the TSA certificate {path}: {exc}") from exc


def _witnesses(paths: list[Path]) -> list[WitnessKey]:
    try:
        return [load_witness_key(_read(p), p.name) for p in paths]
    except WitnessError as exc:
        raise BadRequest(f"cannot use a witness key: {exc}") from exc


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as source:
            data = source.read(MAX_INPUT + 1)
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_INPUT:
        raise BadRequest(f"{path} is larger than {MAX_INPUT} bytes")
    return data


def _bad_request(exc: Exception) -> int:
    print(f"blastwall: {exc}", file=sys.stderr)
    return 2
