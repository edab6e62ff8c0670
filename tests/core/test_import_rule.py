"""The one rule: bot/core imports nothing but the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "bot" / "core"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "bot.core"))  # relative: inside the package
            elif node.module:
                found.append((node.lineno, node.module))
    return found


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    return (
        module == "bot.core"
        or module.startswith("bot.core.")
        or (top in sys.stdlib_module_names or top == "__future__")
    )


def test_core_imports_only_stdlib_and_itself() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert files, "bot/core has no modules"
    offenders = [
        f"{path.relative_to(CORE.parent.parent)}:{line}: imports {module}"
        for path in files
        for line, module in _imports(path)
        if not _allowed(module)
    ]
    assert offenders == []


def test_the_rule_catches_an_outsider(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom bot.adapters.slack import app\nimport json\n")
    flagged = [m for _, m in _imports(bad) if not _allowed(m)]
    assert flagged == ["sqlalchemy", "bot.adapters.slack"]
