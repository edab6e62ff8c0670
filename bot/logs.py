"""Log redaction: nothing a handler formats reaches a log with a secret in it."""

from __future__ import annotations

import logging

from bot.core.redaction import Redactor


class RedactingFilter(logging.Filter):
    """Formats the message, redacts it, and drops the args so they cannot leak later."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.redact_text(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.redact_text(record.exc_text)
        return True


def install_redaction(redactor: Redactor, logger: logging.Logger | None = None) -> RedactingFilter:
    """Put the filter on every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    flt = RedactingFilter(redactor)
    if not target.handlers:
        logging.basicConfig()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt
