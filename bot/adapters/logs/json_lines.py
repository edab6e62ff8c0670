"""``BLASTWALL_LOG_FORMAT=json``: one JSON object per line, for a log pipeline.

Each line carries the incident it is about (``bot.core.log_context``), so an
operator can pull one incident's whole story out of many replicas' logs. The
redaction filter (``bot.secrets.logs``) still runs first: it sits on the
handler, rewrites the message and the traceback text, and this formatter only
reads what it left (``getMessage()`` and ``exc_text``, never ``exc_info`` again).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.core.log_context import current_incident

FORMATS = ("text", "json")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "incident": getattr(record, "incident", None) or current_incident(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


def log_to_stderr(fmt: str, level: int = logging.INFO) -> None:
    """Configure the root logger in ``fmt`` (``text`` or ``json``)."""
    if fmt not in FORMATS:
        raise ValueError(f"BLASTWALL_LOG_FORMAT={fmt}: give text or json")
    if fmt == "text":
        text = "%(asctime)s %(levelname)s %(name)s %(message)s"
        logging.basicConfig(level=level, format=text)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=level, handlers=[handler])
