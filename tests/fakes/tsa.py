"""A local RFC 3161 Time-Stamp Authority on 127.0.0.1 that issues real tokens.

Its own CA (a self-signed root) issues the TSA certificate with the critical
``timeStamping`` extended key usage. Tokens are CMS SignedData over a DER
TSTInfo, with the signed attributes RFC 3161 and RFC 5816 require
(contentType, messageDigest, signingCertificateV2), signed with ECDSA P-256.
The DER is built here by hand from the ASN.1 in the RFCs; ``rfc3161-client``
(what production verifies with) parses the requests.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from itertools import count

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fastapi import FastAPI, Request, Response
from rfc3161_client._rust import parse_timestamp_request

SHA256 = "2.16.840.1.101.3.4.2.1"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
SIGNED_DATA = "1.2.840.113549.1.7.2"
TST_INFO = "1.2.840.113549.1.9.16.1.4"
CONTENT_TYPE = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
POLICY = "1.3.6.1.4.1.55555.3161.1"


# --- DER, just the types a TimeStampResp needs -------------------------------------


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return _tlv(0x31, b"".join(sorted(items)))  # DER sorts SET OF by encoding


def integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def octets(value: bytes) -> bytes:
    return _tlv(0x04, value)


def oid(dotted: str) -> bytes:
    first, second, *rest = (int(p) for p in dotted.split("."))
    body = bytearray([first * 40 + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def generalized_time(at: datetime) -> bytes:
    return _tlv(0x18, at.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode())


def explicit(number: int, content: bytes) -> bytes:
    return _tlv(0xA0 | number, content)


def algorithm(dotted: str) -> bytes:
    return seq(oid(dotted))


# --- the authority ---------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class TimeStampAuthority:
    """One CA and one TSA certificate; ``app`` answers ``POST /`` with tokens."""

    def __init__(self, eku_critical: bool = True) -> None:
        now = datetime.now(UTC)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("Test TSA Root"))
            .issuer_name(_name("Test TSA Root"))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("Test TSA"))
            .issuer_name(self.ca_cert.subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=eku_critical
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        self._serials = count(1)
        self.issued = 0

    @property
    def ca_pem(self) -> bytes:
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)

    def respond(self, query: bytes) -> bytes:
        request = parse_timestamp_request(query)
        imprint = request.message_imprint
        if imprint.hash_algorithm.dotted_string != SHA256:
            return seq(seq(integer(2)))  # rejection: badAlg is beyond this stand-in
        self.issued += 1
        return seq(seq(integer(0)), self.token(imprint.message, request.nonce))

    def respond_to_note(self, note: bytes) -> bytes:
        """A genuine response over ``note`` (what a forger could obtain for a new note)."""
        return seq(seq(integer(0)), self.token(hashlib.sha256(note).digest(), None))

    def token(self, digest: bytes, nonce: int | None, at: datetime | None = None) -> bytes:
        tst_info = seq(
            integer(1),
            oid(POLICY),
            seq(algorithm(SHA256), octets(digest)),
            integer(next(self._serials)),
            generalized_time(at or datetime.now(UTC)),
            seq(integer(1)),  # accuracy: one second
            *([integer(nonce)] if nonce is not None else []),
        )
        return seq(oid(SIGNED_DATA), explicit(0, self._signed_data(tst_info)))

    def _signed_data(self, tst_info: bytes) -> bytes:
        cert_der = self.cert.public_bytes(serialization.Encoding.DER)
        attributes = [
            seq(oid(CONTENT_TYPE), set_of(oid(TST_INFO))),
            seq(oid(MESSAGE_DIGEST), set_of(octets(hashlib.sha256(tst_info).digest()))),
            seq(
                oid(SIGNING_CERT_V2),
                set_of(seq(seq(seq(octets(hashlib.sha256(cert_der).digest()))))),
            ),
        ]
        signed_attrs = set_of(*attributes)
        signature = self.key.sign(signed_attrs, ec.ECDSA(hashes.SHA256()))
        signer = seq(
            integer(1),
            seq(self.cert.issuer.public_bytes(), integer(self.cert.serial_number)),
            algorithm(SHA256),
            b"\xa0" + signed_attrs[1:],  # [0] IMPLICIT: the SET with its tag replaced
            algorithm(ECDSA_SHA256),
            octets(signature),
        )
        return seq(
            integer(3),
            set_of(algorithm(SHA256)),
            seq(oid(TST_INFO), explicit(0, octets(tst_info))),
            _tlv(0xA0, cert_der),  # certificates [0] IMPLICIT SET OF Certificate
            set_of(signer),
        )

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/")
        async def stamp(request: Request) -> Response:
            token = self.respond(await request.body())
            return Response(token, media_type="application/timestamp-reply")

        return api


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
