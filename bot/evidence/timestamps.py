"""RFC 3161 timestamps of checkpoint notes: asking a TSA, and checking its tokens.

A token proves a note existed no later than its ``genTime`` on a clock that
whoever holds our database and key does not control, so a history re-signed
later cannot carry the early token. ``rfc3161-client`` does the ASN.1 and the
CMS signature check; we add the transport and what the token must cover.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import httpx
from cryptography import x509
from rfc3161_client import (
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from rfc3161_client.base import HashAlgorithm

from bot.evidence.bundle import TIMESTAMP_DIR, checkpoint_name
from bot.evidence.contents import Bundle, Tampered

CONTENT_TYPE = "application/timestamp-query"
TSA_TIMEOUT_S = 10.0


class TimestampError(Exception):
    """No usable token: the TSA is unreachable, refused, or answered nonsense."""


@dataclass(frozen=True)
class Stamp:
    token: bytes  # the DER TimeStampResp, stored and bundled as ``.tsr``
    gen_time: datetime


class Timestamper:
    """Asks one TSA (``BLASTWALL_TSA_URL``) over HTTP, as RFC 3161 section 3.4 describes."""

    def __init__(self, url: str, timeout_s: float = TSA_TIMEOUT_S) -> None:
        self.url = url
        self._timeout_s = timeout_s

    async def stamp(self, note: bytes) -> Stamp:
        request = (
            TimestampRequestBuilder()
            .data(note)
            .hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True)
            .cert_request(cert_request=True)
            .build()
        )
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                answer = await client.post(
                    self.url, content=request.as_bytes(), headers={"Content-Type": CONTENT_TYPE}
                )
        except httpx.HTTPError as exc:
            raise TimestampError(f"TSA {self.url} unreachable: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise TimestampError(f"TSA {self.url} answered HTTP {answer.status_code}")
        response = _decode(answer.content)
        if response.tst_info.nonce != request.nonce:
            raise TimestampError("TSA answered with another request's nonce")
        if response.tst_info.message_imprint.message != hashlib.sha256(note).digest():
            raise TimestampError("TSA stamped another message")
        return Stamp(answer.content, response.tst_info.gen_time)


def _decode(token: bytes) -> TimeStampResponse:
    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise TimestampError(f"not an RFC 3161 response: {exc}") from exc
    if response.status not in (0, 1):  # granted, granted with modifications
        raise TimestampError(f"TSA refused: status {response.status}")
    return response


def verify_token(token: bytes, note: bytes, trusted: x509.Certificate) -> datetime:
    """genTime of a token over ``note``, signed by a certificate that chains to
    ``trusted`` and carries the critical timeStamping EKU; TimestampError otherwise."""
    response = _decode(token)
    verifier = VerifierBuilder().add_root_certificate(trusted).build()
    try:
        verifier.verify_message(response, note)
    except VerificationError as exc:
        raise TimestampError(str(exc)) from exc
    except ValueError as exc:
        raise TimestampError(f"malformed token: {exc}") from exc
    return response.tst_info.gen_time


def load_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(pem)
        except ValueError as exc:
            raise TimestampError(f"not a PEM or DER certificate: {exc}") from exc


def check_timestamps(bundle: Bundle, trusted: x509.Certificate | None) -> str:
    """Each ``timestamps/NNNNNN.tsr`` must cover checkpoint NNNNNN's note exactly and
    chain to ``trusted``; with no ``--tsa-cert`` the tokens are only counted."""
    tokens = sorted(n for n in bundle.files if n.startswith(TIMESTAMP_DIR))
    total = len(bundle.notes)
    if trusted is None:
        return f"{len(tokens)} of {total} checkpoints carry an RFC 3161 timestamp (not checked)"
    if not tokens:
        raise Tampered("--tsa-cert given but no checkpoint carries an RFC 3161 timestamp")
    latest = None
    for name in tokens:
        note = checkpoint_name(int(name.removeprefix(TIMESTAMP_DIR).removesuffix(".tsr")))
        if note not in bundle.files:
            raise Tampered(f"{name} has no checkpoint {note}")
        try:
            latest = verify_token(bundle.files[name], bundle.files[note], trusted)
        except TimestampError as exc:
            raise Tampered(f"{name} does not timestamp {note}: {exc}") from exc
    return (
        f"{len(tokens)} of {total} checkpoints timestamped by the TSA, "
        f"the last at {latest:%Y-%m-%d %H:%M:%S} UTC"
    )
