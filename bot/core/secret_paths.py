"""Where a rotated credential's new secret is delivered: a KV v2 path template.

The playbook names the path (``secret/nhi/{owner}/{key}``), never the person who
clicks, so nobody can redirect a fresh secret to a path they read. The template is
checked when the playbook loads (unknown fields are an error, not an empty segment)
and each field's value is reduced to a safe segment when it is filled in, so an
owner named ``../x`` cannot climb out of the playbook's prefix.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

# The fields a template may name, and what each holds.
FIELDS: Mapping[str, str] = {
    "owner": "the identity's owner, else the principal",
    "principal": "the IAM user owning the key, or the AppRole role",
    "key": "the rotated identity's id (the old access key id or secret-id accessor)",
    "system": "the identity's system (aws, vault)",
}
_LITERAL = re.compile(r"[A-Za-z0-9_./-]*")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")
MAX_LENGTH = 200


def template_problem(template: str) -> str | None:
    """Why ``template`` is not a usable path template, or None when it is."""
    if not template or len(template) > MAX_LENGTH:
        return f"a path template has 1 to {MAX_LENGTH} characters"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid path template: {exc}"
    for literal, name, spec, conversion in parts:
        if not _LITERAL.fullmatch(literal):
            return "a path template holds only letters, digits, _ . - / and {fields}"
        if name is None:
            continue
        if name not in FIELDS:
            return f"unknown field {{{name}}} (known: {', '.join(sorted(FIELDS))})"
        if spec or conversion:
            return f"field {{{name}}} takes no format or conversion"
    segments = template.split("/")
    if len(segments) < 2 or any(s in ("", ".", "..") for s in segments):
        return "a path template is MOUNT/PATH, without empty, . or .. segments"
    return None


def segment(value: str) -> str:
    """A field's value as one safe path segment."""
    cleaned = _UNSAFE.sub("-", value).strip("-.")
    return cleaned[:64] or "unknown"


def render(template: str, values: Mapping[str, str]) -> str:
    """The concrete path: every field filled with its value as a safe segment."""
    return template.format_map({name: segment(values.get(name, "")) for name in FIELDS})


def split_mount(path: str) -> tuple[str, str]:
    """(mount, path inside it): the first segment is the KV v2 mount, as in ``bao kv``."""
    mount, _, rest = path.partition("/")
    return mount, rest
