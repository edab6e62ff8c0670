"""``blastwall serve`` as an operator runs it: each mistake is one line and exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.servers import free_port
from tests.scenarios.harness import base_env


def _serve(cwd: Path, port: int | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    defaults = {
        "BLASTWALL_DATABASE_URL": f"sqlite:///{cwd / 'blastwall.db'}",
        "BLASTWALL_SIGNING_KEY": str(cwd / "signing.pem"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port or free_port())],
        cwd=cwd,
        env=base_env(**(defaults | env)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _key(mode: int, content: bytes) -> Callable[[Path], dict[str, str]]:
    def write(cwd: Path) -> dict[str, str]:
        path = cwd / "key.pem"
        path.write_bytes(content)
        path.chmod(mode)
        return {"BLASTWALL_SIGNING_KEY": str(path)}

    return write


def _good_key_world_readable(cwd: Path) -> dict[str, str]:
    from bot.evidence.signing import load_or_create_signing_key

    path = cwd / "key.pem"
    load_or_create_signing_key(path)
    path.chmod(0o644)
    return {"BLASTWALL_SIGNING_KEY": str(path)}


CASES: dict[str, tuple[Callable[[Path], dict[str, str]], str, str]] = {
    "unreachable database": (
        lambda cwd: {"BLASTWALL_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x"},
        "BLASTWALL_DATABASE_URL: cannot reach the database",
        "start it, or fix the URL",
    ),
    "unsupported scheme": (
        lambda cwd: {"BLASTWALL_DATABASE_URL": "mysql://root@127.0.0.1/blastwall"},
        "BLASTWALL_DATABASE_URL has the unsupported scheme 'mysql'",
        "postgresql://",
    ),
    "world-readable key": (_good_key_world_readable, "readable by others", "chmod 600"),
    "malformed key": (
        _key(0o600, b"not a key"),
        "not a PEM-encoded Ed25519 private key",
        "BLASTWALL_SIGNING_KEY",
    ),
    "key in a missing directory": (
        lambda cwd: {"BLASTWALL_SIGNING_KEY": str(cwd / "no-such-dir" / "key.pem")},
        "does not exist",
        "mkdir",
    ),
    "missing config file": (
        lambda cwd: {"BLASTWALL_CONFIG": str(cwd / "blastwall.toml")},
        "BLASTWALL_CONFIG names",
        "create it or unset BLASTWALL_CONFIG",
    ),
    "out-of-range setting": (
        lambda cwd: {"BLASTWALL_TIMER_INTERVAL": "600"},
        "BLASTWALL_TIMER_INTERVAL=600",
        "less than or equal to 60",
    ),
    "blank signing secret": (
        lambda cwd: {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "  \t "},
        "SLACK_SIGNING_SECRET is empty or only whitespace",
        "Basic Information",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_mistake_is_one_line_and_a_non_zero_exit(tmp_path: Path, case: str) -> None:
    setup, problem, fix = CASES[case]
    done = _serve(tmp_path, None, **setup(tmp_path))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert problem in lines[0] and fix in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_a_missing_key_directory_is_not_created(tmp_path: Path) -> None:
    _serve(tmp_path, BLASTWALL_SIGNING_KEY=str(tmp_path / "typo" / "key.pem"))
    assert not (tmp_path / "typo").exists()


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve(tmp_path, port=port)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"--port {port}: 127.0.0.1:{port} is already in use" in line
    assert "choose another --port" in line
