"""A database outage is an expected condition, not a bug: 503 and one log line.

When the database stops answering, every request and every timer wake-up fails
the same way. A traceback each time buries the one fact an operator needs
("the database is down") and fills the disk; an HTTP 500 tells clients the bug
is ours and gives them no hint when to come back. So a request that fails on
an unreachable database gets 503 with ``Retry-After``, and any log record whose
exception is an outage is shortened to one line.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

log = logging.getLogger("blastwall.database")
RETRY_AFTER_S = 5
OUTAGES: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)


# SQLite's way of saying the store is gone: the file vanished, was replaced or cannot be read.
_SQLITE_UNUSABLE = (
    "SQLITE_NOTADB",
    "SQLITE_CORRUPT",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
)


def is_outage(error: BaseException | None) -> bool:
    if isinstance(error, OUTAGES):
        return True
    if isinstance(error, MemoryError):
        return _raised_by_sqlite(error)
    if isinstance(error, sa_exc.DatabaseError):
        name = str(getattr(error.orig, "sqlite_errorname", ""))
        return name.startswith(_SQLITE_UNUSABLE)
    return False


def _raised_by_sqlite(error: BaseException) -> bool:
    """SQLite answers SQLITE_NOMEM for some files overwritten under an open connection,
    and the sqlite3 module raises that as a bare MemoryError, outside SQLAlchemy's
    wrapping: an unusable store, told apart from a real shortage of memory by where
    it was raised."""
    frame = error.__traceback__
    while frame is not None:
        if "sqlite" in frame.tb_frame.f_code.co_filename:
            return True
        frame = frame.tb_next
    return False


def summary(error: BaseException) -> str:
    """The first line of the driver's message: enough to diagnose, never a traceback."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return f"{type(original).__name__}: {text[0] if text else 'no detail'}"


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    if not is_outage(error):
        raise error  # a real bug (a constraint, bad SQL): a 500 with its traceback
    log.error("database unavailable: %s %s: %s", request.method, request.url.path, summary(error))
    return JSONResponse(
        {"detail": "the database is unavailable; try again shortly"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install_outage_handling(app: FastAPI) -> None:
    for kind in (*OUTAGES, sa_exc.DatabaseError, MemoryError):
        app.add_exception_handler(kind, _unavailable)


class OneLineOutages(logging.Filter):
    """Drops the traceback of a record whose exception is a database outage."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and is_outage(record.exc_info[1]):
            error = record.exc_info[1]
            assert error is not None
            record.msg = f"{record.getMessage()}: database unavailable: {summary(error)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def install_one_line_outages(logger: logging.Logger | None = None) -> None:
    """On every handler, before redaction formats the traceback into the record."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, OneLineOutages) for f in handler.filters):
            handler.filters.insert(0, OneLineOutages())
