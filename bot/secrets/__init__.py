"""Secret detection for the redactor: detect-secrets' plugins and the forms they miss."""

from __future__ import annotations

from bot.core.redaction import Redactor
from bot.secrets.detection import DetectSecretsFinder, KeywordFinder
from bot.secrets.forms import PatternFinder


def build_redactor(key: bytes) -> Redactor:
    """The redactor every door, the ledger and the log share."""
    return Redactor(key, (DetectSecretsFinder(), KeywordFinder(), PatternFinder()))
