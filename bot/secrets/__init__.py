"""Secret detection for the redactor: detect-secrets' plugins and the forms they miss."""

from __future__ import annotations

from bot.core.redaction import Redactor
from bot.secrets.detection import DetectSecretsFinder, KeywordFinder
from bot.secrets.forms import PatternFinder
from bot.secrets.sealing import Sealer


def build_redactor(key: bytes) -> Redactor:
    """The redactor every door, the ledger and the log share.

    ``key`` is the deployment's redaction key, from which ``bot.app`` also
    derives the sealer, so a credential sealed here is recognised and kept.
    """
    finders = (DetectSecretsFinder(), KeywordFinder(), PatternFinder())
    return Redactor(key, finders, sealed=Sealer(key).is_sealed)
