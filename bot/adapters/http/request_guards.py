"""Refuse hostile request bodies at the door, for every route (HTTP 422).

Deeply nested JSON exhausts a recursive parser; NaN, Infinity and integers
beyond 2^53 are not portable JSON (PostgreSQL, browsers and the canonical
evidence encoder reject or corrupt them); lone surrogates and NUL cannot be
stored or encoded as UTF-8. Each of these used to surface as an HTTP 500 deep
inside a handler. Checking here, once, means every door (``/alerts``,
``/slack/events``, the console's forms) gives the same clear answer naming the
field, and no handler has to remember to.

Nesting is measured on the raw bytes by an iterative scan *before* any parser
runs. Form bodies are flat; Slack puts JSON inside their ``payload=`` field, so
form values that look like JSON get the same treatment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DEPTH = 32
SAFE_INTEGER = 2**53
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_CHECKED_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Rejected(Exception):
    """One refused body: where (a loc, as FastAPI's validation errors give it) and why."""

    def __init__(self, loc: list[str | int], msg: str, kind: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg
        self.kind = kind

    def body(self) -> bytes:
        """The same ``detail`` shape as FastAPI's own 422 answers."""
        where = ".".join(str(part) for part in self.loc[1:]) or "body"
        detail = [{"loc": self.loc, "msg": f"{where}: {self.msg}", "type": self.kind}]
        return json.dumps({"detail": detail}).encode()


_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def json_depth(raw: bytes | str) -> int:
    """The deepest ``[``/``{`` nesting outside strings; iterative, so any depth is safe.
    Only the characters that matter are visited (an escape pair is one token)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    depth = deepest = 0
    in_string = False
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char == '"':
            in_string = not in_string
        elif in_string or len(char) == 2:
            continue
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class _Unportable:
    """Stands in for a number the parser met, so the walk can say where it was."""

    def __init__(self, why: str) -> None:
        self.why = why


def _constant(name: str) -> _Unportable:
    return _Unportable(f"{name} is not a JSON number")


def _integer(text: str) -> int | _Unportable:
    value = int(text)
    if abs(value) > SAFE_INTEGER:
        return _Unportable("integer beyond ±2^53 is not portable JSON")
    return value


def _number(text: str) -> float | _Unportable:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return _Unportable("number too large to represent")
    return value


def _walk(value: Any, loc: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    """Every key and scalar with its location, iteratively (depth is already bounded)."""
    stack: list[tuple[list[str | int], Any]] = [(loc, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                yield [*where, key], key
                stack.append(([*where, key], child))
        elif isinstance(item, list):
            stack.extend(([*where, i], child) for i, child in enumerate(item))
        else:
            yield where, item


def check_json(raw: bytes | str, loc: list[str | int], *, must_parse: bool = True) -> None:
    """Raise ``Rejected`` for a body no handler should ever see.

    ``must_parse=False`` is for form values that merely look like JSON (a slash
    command's text may start with a brace): those are checked only if they parse.
    """
    if json_depth(raw) > MAX_DEPTH:
        raise Rejected(loc, f"nested deeper than {MAX_DEPTH} levels", "value_error.depth")
    try:
        parsed = json.loads(raw, parse_constant=_constant, parse_int=_integer, parse_float=_number)
    except json.JSONDecodeError as exc:
        if must_parse:
            raise Rejected(loc, f"is not valid JSON ({exc.msg})", "json_invalid") from exc
        return
    except (ValueError, RecursionError) as exc:
        raise Rejected(loc, str(exc).splitlines()[0], "value_error") from exc
    for where, scalar in _walk(parsed, loc):
        if isinstance(scalar, _Unportable):
            raise Rejected(where, scalar.why, "value_error.number")
        _check_text(scalar, where)


def _check_text(value: Any, loc: list[str | int]) -> None:
    if isinstance(value, str) and (found := _BAD_CHARS.search(value)):
        what = "NUL" if found.group() == "\x00" else "a lone surrogate"
        raise Rejected(loc, f"contains {what}, which text may not carry", "value_error.str")


def check_form(raw: bytes) -> None:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise Rejected(["body"], "is not valid UTF-8", "value_error.str") from exc
    for key, value in pairs:
        loc: list[str | int] = ["body", key]
        _check_text(key, loc)
        _check_text(value, loc)
        if value.lstrip()[:1] in ("{", "["):
            check_json(value, loc, must_parse=False)


def check_body(content_type: str, raw: bytes) -> None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        check_form(raw)
    elif kind == "application/json" or kind.endswith("+json"):
        if raw.strip():
            # Syntax errors are the route's to answer: a signed door (GitHub) must say
            # 401 to an unsigned body before it says anything about its contents.
            check_json(raw, ["body"], must_parse=False)
    elif json_depth(raw) > MAX_DEPTH:
        raise Rejected(["body"], f"nested deeper than {MAX_DEPTH} levels", "value_error.depth")


class RequestGuards:
    """Reads the (already size-limited) body once, checks it, and replays it downstream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _CHECKED_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        try:
            check_body(content_type, raw)
        except Rejected as rejected:
            await _unprocessable(send, rejected)
            return
        await self.app(scope, _replay({"type": "http.request", "body": raw}, receive), send)


def _replay(first: Message, receive: Receive) -> Receive:
    """Hand ``first`` to the app, then the real channel (e.g. a later disconnect)."""
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _unprocessable(send: Send, rejected: Rejected) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": rejected.body()})
