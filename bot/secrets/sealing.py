"""Sealing a leaked credential Blastwall must hold until it is revoked.

GitHub's credential revocation API needs the token itself, so an alert about
a leaked token carries it; Blastwall keeps it only encrypted (Fernet, with a
key derived from the signing key) and unseals it for the one call that
revokes it. Evidence and logs see the sealed form, never the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

SEALED = "credential_sealed"


class SealError(Exception):
    pass


class Sealer:
    def __init__(self, secret: bytes) -> None:
        key = hmac.new(secret, b"blastwall-sealing-v1", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, credential: str) -> str:
        return self._fernet.encrypt(credential.encode("utf-8")).decode("ascii")

    def is_sealed(self, value: str) -> bool:
        """Whether ``value`` is ciphertext this deployment sealed (so safe to keep)."""
        try:
            self.unseal(value)
        except (SealError, ValueError):
            return False
        return True

    def unseal(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise SealError("the sealed credential was not sealed by this deployment") from exc
