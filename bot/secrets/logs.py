"""Log redaction: nothing a handler formats reaches a log with a secret in it.

The filter sits on the handlers (the last step before a line is written), not
on loggers, so a record from any library's logger is redacted too, including
uvicorn's own, whose handlers do not pass through the root logger.
"""

from __future__ import annotations

import logging

from bot.core.redaction import Redactor

# uvicorn configures these with handlers of their own and no propagation.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# uvicorn's access formatter reads the request line from ``args``; its args are
# redacted one by one instead of being folded into the message.
_ARGS_NEEDED = frozenset({"uvicorn.access"})


class RedactingFilter(logging.Filter):
    """Formats the message, redacts it, and drops the args so they cannot leak later."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self._redactor.redact_text
        if record.name in _ARGS_NEEDED and isinstance(record.args, tuple):
            record.msg = redact(str(record.msg))
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        else:
            record.msg = redact(record.getMessage())
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(redactor: Redactor, logger: logging.Logger | None = None) -> RedactingFilter:
    """Put the filter on every handler of ``logger``, or of the root and uvicorn's loggers."""
    targets = [logger] if logger else [logging.getLogger(), *map(logging.getLogger, SERVER_LOGGERS)]
    if logger is None and not logging.getLogger().handlers:
        logging.basicConfig()
    flt = RedactingFilter(redactor)
    for target in targets:
        for handler in target.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(flt)
    return flt
