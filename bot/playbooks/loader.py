"""Load a directory of playbooks, reporting every problem with file, line and field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.core.actions import ActionSpec, Reversibility
from bot.core.escalation import StallKind, StepEnd
from bot.core.playbooks import Playbook
from bot.playbooks.convert import to_core
from bot.playbooks.schema import ActionModel, PlaybookModel


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.field or '(file)'}: {self.message}"


class PlaybookError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_playbooks(directory: Path, catalogue: Mapping[str, ActionSpec]) -> dict[str, Playbook]:
    playbooks, problems = _load(directory, catalogue)
    if problems:
        raise PlaybookError(problems)
    return playbooks


def validate_directory(directory: Path, catalogue: Mapping[str, ActionSpec]) -> list[Problem]:
    return _load(directory, catalogue)[1]


def _load(
    directory: Path, catalogue: Mapping[str, ActionSpec]
) -> tuple[dict[str, Playbook], list[Problem]]:
    if not directory.is_dir():
        return {}, [Problem(directory, None, "", "not a directory of playbooks")]
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        return {}, [Problem(directory, None, "", "no playbook (*.yaml) in this directory")]
    playbooks: dict[str, Playbook] = {}
    problems: list[Problem] = []
    for path in files:
        loaded = _one(path, catalogue, problems)
        if loaded is None:
            continue
        if loaded.name in playbooks:
            problems.append(
                Problem(path, None, "name", f"playbook {loaded.name!r} is defined twice")
            )
        playbooks[loaded.name] = loaded
    return playbooks, problems


def _one(
    path: Path, catalogue: Mapping[str, ActionSpec], problems: list[Problem]
) -> Playbook | None:
    try:
        document = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(Problem(path, line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    if not isinstance(document, Mapping):
        problems.append(Problem(path, 1, "", "a playbook is a YAML mapping (key: value)"))
        return None
    try:
        model = PlaybookModel.model_validate(document)
    except ValidationError as exc:
        problems += [_located(path, document, err["loc"], err["msg"]) for err in exc.errors()]
        return None
    found = [_located(path, document, loc, msg) for loc, msg in _semantic(model, catalogue)]
    problems += found
    return None if found else to_core(model)


def _semantic(
    model: PlaybookModel, catalogue: Mapping[str, ActionSpec]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks that need more than one field: defined groups, known actions."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    for right, grants in model.rights.items():
        for i, grant in enumerate(grants):
            group = grant.removeprefix("group:")
            if grant.startswith("group:") and group not in model.groups:
                found.append((("rights", right.value, i), f"group {group!r} is not defined"))
    found += _ladder_problems(model)
    for i, offered in enumerate(model.actions):
        if offered.action not in catalogue:
            known = ", ".join(sorted(catalogue))
            found.append(
                (("actions", i, "action"), f"unknown action {offered.action!r} (known: {known})")
            )
        else:
            spec = catalogue[offered.action]
            found += _param_problems(i, offered.params, spec)
            problem = _automatic_problem(offered, spec) if offered.automatic else None
            if problem is not None:
                found.append((("actions", i, "automatic"), problem))
    return found


def _automatic_problem(offered: ActionModel, spec: ActionSpec) -> str | None:
    """What no guard rail at run time could make safe to run without a person."""
    if spec.reversibility is Reversibility.IRREVERSIBLE:
        return f"{spec.id} is irreversible: it never runs automatically"
    if offered.approval is not None and offered.approval.required:
        return f"{spec.id} needs approval: an action a person must approve never runs automatically"
    needed = [p.name for p in spec.params if p.required]
    if needed:
        return f"{spec.id} needs {', '.join(needed)} from a person: it cannot run automatically"
    return None


def _param_problems(
    i: int, params: Mapping[str, str], spec: ActionSpec
) -> list[tuple[tuple[str | int, ...], str]]:
    """The fixed parameters must fit the action (known names, patterns, path templates),
    and whatever it requires must be fixed here: a button click brings none."""
    problem = spec.param_problem(dict(params))
    if problem is None:
        return []
    named = next((n for n in params if f"{n!r}" in problem), None)
    return [(("actions", i, "params", named) if named else ("actions", i), problem)]


ENDS_ALLOWED = {
    StepEnd.DENY: {StallKind.APPROVAL_PENDING},
    StepEnd.OFFER_COMMAND: {StallKind.COMMANDER_NOT_ACKNOWLEDGED, StallKind.HANDOFF_NOT_ACCEPTED},
}


def _ladder_problems(model: PlaybookModel) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    for kind, steps in model.escalation.items():
        where: tuple[str | int, ...] = ("escalation", kind.value)
        if not steps:
            found.append((where, "a ladder needs at least one step"))
        times = [s.after_minutes for s in steps]
        if times != sorted(times):
            found.append((where, "steps must come in order of after_minutes"))
        for i, step in enumerate(steps):
            allowed = ENDS_ALLOWED.get(step.end) if step.end else None
            if step.end is not None and allowed is not None and kind not in allowed:
                found.append(
                    ((*where, i, "end"), f"{step.end.value} cannot end a {kind.value} ladder")
                )
            for j, grant in enumerate(step.notify):
                group = grant.removeprefix("group:")
                if grant.startswith("group:") and group not in model.groups:
                    found.append(((*where, i, "notify", j), f"group {group!r} is not defined"))
    return found


def _located(path: Path, document: Any, loc: tuple[Any, ...], message: str) -> Problem:
    line, node, parts = 1, document, []
    for part in loc:
        if part == "[key]":
            break
        position = _position(node, part)
        if position is None:
            parts.append(str(part))
            break
        line, node = position[0] + 1, node[part]
        parts.append(f"[{part}]" if isinstance(part, int) else str(part))
    field = ".".join(parts).replace(".[", "[")
    return Problem(path, line, field, message.removeprefix("Value error, "))


def _position(node: Any, part: Any) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    if isinstance(node, Mapping) and part in node:
        line, column = lc.key(part)
        return int(line), int(column)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        line, column = lc.item(part)
        return int(line), int(column)
    return None
