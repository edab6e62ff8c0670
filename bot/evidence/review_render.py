"""Printing the post-incident review as ``review.md`` and ``review.html``.

Both are deterministic (the same review always gives the same bytes), because
the verifier rebuilds them from the bundle's entries and compares. Everything
printed comes from the ledger, so it is escaped: HTML by Jinja's autoescape,
Markdown by a ``finalize`` hook that runs on every value printed, so no
template line can forget it. The HTML is one self-contained page: inline CSS,
no scripts, no external assets, a Content-Security-Policy that forbids loading
anything, and print styles.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.evidence.review import Moment, Review

REVIEW_MD = "review.md"
REVIEW_HTML = "review.html"
_TEMPLATES = Path(__file__).parent / "templates"
_WHEN = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z")
_MD_SPECIAL = str.maketrans(
    {c: f"\\{c}" for c in "\\`|[]"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
)


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "not reached"
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def utc(recorded: str) -> str:
    """An entry's time, to the second, as people read it."""
    found = _WHEN.fullmatch(recorded)
    return f"{found.group(1)} {found.group(2)}" if found else recorded


def _markdown_safe(value: object) -> object:
    """Every value printed into the Markdown: one line, no table breaks, no HTML, no links."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return " ".join(str(value).translate(_MD_SPECIAL).split())


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=autoescape,  # noqa: S701 (Markdown is escaped by _markdown_safe instead)
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=None if autoescape else _markdown_safe,
    )
    env.filters["duration"] = duration
    env.filters["utc"] = utc
    return env


_MARKDOWN = _environment(autoescape=False)
_HTML = _environment(autoescape=True)


def _timeline(review: Review) -> list[tuple[str, Moment | None]]:
    t = review.timeline
    return [
        ("declared", t.declared),
        ("commander acknowledged", t.acknowledged),
        ("first containment", t.first_containment),
        ("contained", t.contained),
        ("resolved", t.resolved),
        ("closed", t.closed),
    ]


def render_markdown(review: Review) -> str:
    return _MARKDOWN.get_template("review.md.j2").render(r=review, timeline=_timeline(review))


def render_html(review: Review) -> str:
    return _HTML.get_template("review.html.j2").render(r=review, timeline=_timeline(review))


def review_files(review: Review) -> dict[str, bytes]:
    """The two files, as they go into a bundle."""
    return {
        REVIEW_MD: render_markdown(review).encode("utf-8"),
        REVIEW_HTML: render_html(review).encode("utf-8"),
    }


def digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """What the ledger's review entry records of each file: its SHA-256."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
