"""CLI niceties: ``--version``, help with defaults on every subcommand, and an
``evidence export`` whose stderr says only what matters (no Alembic chatter)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import _every_parser, _parser, main
from bot.evidence.signing import load_or_create_signing_key


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_version_comes_from_the_package_metadata() -> None:
    done = _cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"blastwall {version('blastwall')}"


def _subcommands() -> list[list[str]]:
    """Every subcommand's words, e.g. ["evidence", "export"], walked from the parser."""
    paths: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        paths.append(words)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, [*words, name])

    walk(_parser(), [])
    return paths


@pytest.mark.parametrize("words", _subcommands(), ids=lambda w: " ".join(w) or "blastwall")
def test_every_subcommand_explains_every_option(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as leaving:
        main([*words, "--help"])
    assert leaving.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith("usage: blastwall")
    parser = _parser()
    for word in words:
        parser = next(
            a.choices[word] for a in parser._actions if isinstance(a, argparse._SubParsersAction)
        )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help, f"{' '.join(words)}: {action.dest} has no help"
        has_default = action.default not in (None, [], False, argparse.SUPPRESS)
        if has_default and not action.required and action.option_strings:
            assert f"(default: {action.default})" in " ".join(shown.split())


def test_the_walk_reaches_every_parser() -> None:
    assert len(_subcommands()) == len(_every_parser(_parser()))


def test_export_stderr_carries_no_alembic_chatter(tmp_path: Path) -> None:
    env = {
        "BLASTWALL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'blastwall.db'}",
        "BLASTWALL_SIGNING_KEY": str(tmp_path / "signing.pem"),
    }
    assert _cli("db", "upgrade", env=env).returncode == 0
    load_or_create_signing_key(tmp_path / "signing.pem")
    done = _cli("evidence", "export", "INC-20260101-0001", "-o", str(tmp_path / "x.zip"), env=env)
    assert done.returncode == 2
    assert done.stderr == "blastwall: no incident INC-20260101-0001 in this database\n"
