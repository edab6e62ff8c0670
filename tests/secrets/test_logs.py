"""The log handlers' filter: messages, arguments, tracebacks and uvicorn's access lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from bot.secrets import build_redactor
from bot.secrets.logs import install_redaction
from tests.secrets.seeds import GITHUB, SLACK_BOT

R = build_redactor(b"r" * 32)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("blastwall.test.secrets")
    logger.addHandler(handler)
    logger.propagate = False
    install_redaction(R, logger)
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)


def test_messages_arguments_and_tracebacks_are_redacted(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = captured
    logger.warning("request body: %s", f"text=open leak {SLACK_BOT}")
    try:
        raise ValueError(f"bad input {GITHUB['ghp']}")
    except ValueError:
        logger.exception("failed")
    written = out.getvalue()
    assert SLACK_BOT not in written and GITHUB["ghp"] not in written
    assert written.count("[REDACTED:") == 2  # the message and the exception


def test_uvicorn_access_lines_keep_their_shape_and_lose_the_secret() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(AccessFormatter('%(client_addr)s "%(request_line)s" %(status_code)s'))
    logger = logging.getLogger("uvicorn.access")
    saved, level = logger.handlers[:], logger.level
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    try:
        install_redaction(R, logger)
        path = "/console/login?token=abcdefghijkl0123"
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", path, "1.1", 303)
    finally:
        logger.handlers = saved
        logger.setLevel(level)
    written = out.getvalue()
    assert "abcdefghijkl0123" not in written
    assert written.startswith('127.0.0.1:5 "GET /console/login?token=[REDACTED:token:')
