"""RFC 8785 canonical JSON: one byte string per value, so hashes are reproducible."""

from __future__ import annotations

import json
from typing import Any

import rfc8785


def canonical(value: Any) -> bytes:
    return bytes(rfc8785.dumps(value))


def parse(line: bytes) -> Any:
    return json.loads(line.decode("utf-8"))
