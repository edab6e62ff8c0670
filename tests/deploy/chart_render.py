"""Renders deploy/helm/blastwall without helm (no registry here ships the helm
binary: not PyPI, npm or Debian). The chart is written in a deliberately small
subset of Helm's template language, and this renders exactly that subset:

- ``{{ .Release.Name }}`` and ``{{ .Values.a.b }}`` (a scalar);
- ``{{- toYaml .Values.a | nindent N }}`` (a mapping, as YAML, on new lines).

Any other ``{{ ... }}`` is an error, so a template that strays from the subset
fails here instead of being rendered wrongly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "blastwall"
_ACTION = re.compile(r"(\s*)\{\{(-?)\s*(.*?)\s*\}\}")
_VALUE = re.compile(r"^\.(Release\.Name|Values(?:\.[A-Za-z0-9_]+)+)$")
_TO_YAML = re.compile(r"^toYaml\s+\.Values((?:\.[A-Za-z0-9_]+)+)\s*\|\s*nindent\s+(\d+)$")


class OutsideTheSubset(ValueError):
    pass


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    found: Any = values
    for part in dotted.strip(".").split("."):
        if not isinstance(found, dict) or part not in found:
            raise OutsideTheSubset(f"no value .Values.{dotted.strip('.')}")
        found = found[part]
    return found


def expand(action: str, release: str, values: dict[str, Any]) -> str:
    to_yaml = _TO_YAML.match(action)
    if to_yaml:
        block = yaml.safe_dump(_lookup(values, to_yaml.group(1)), sort_keys=False).rstrip()
        pad = " " * int(to_yaml.group(2))
        return "\n" + "\n".join(pad + line for line in block.splitlines())
    value = _VALUE.match(action)
    if value is None:
        raise OutsideTheSubset(f"{{{{ {action} }}}} is outside the subset this renders")
    if value.group(1) == "Release.Name":
        return release
    return str(_lookup(values, value.group(1).removeprefix("Values")))


def render(release: str = "blastwall", overrides: dict[str, Any] | None = None) -> list[Any]:
    """Every template's documents, parsed, with the chart's values and ``overrides``."""
    values = yaml.safe_load((CHART / "values.yaml").read_text()) | (overrides or {})
    documents: list[Any] = []
    for template in sorted((CHART / "templates").glob("*.yaml")):
        text = template.read_text()

        def one(match: re.Match[str]) -> str:
            before = "" if match.group(2) == "-" else match.group(1)  # {{- trims before
            return before + expand(match.group(3), release, values)

        rendered = _ACTION.sub(one, text)
        documents += [d for d in yaml.safe_load_all(rendered) if d]
    return documents
