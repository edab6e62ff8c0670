#!/usr/bin/env bash
# The test command: a .venv with the dev extra, Debian's Chromium for the console's
# browser tests, then pytest with any arguments given (e.g. tests/run.sh -m db -x).
# The browser tests fail instead of skipping here (BLASTWALL_REQUIRE_BROWSER=1), and
# a run that collects no test (pytest exit 5) fails too.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
echo "== installing -e '.[dev]' into .venv"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e '.[dev]'

if [ ! -x /usr/bin/chromium ]; then
    echo "== installing Debian's chromium for the console's browser tests"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "tests/run.sh: /usr/bin/chromium is missing and this is not root (no sudo):" >&2
        echo "  install it with: apt-get install chromium" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    ${as_root[@]+"${as_root[@]}"} apt-get update -qq
    ${as_root[@]+"${as_root[@]}"} apt-get install -y -qq chromium >/dev/null
fi

export BLASTWALL_REQUIRE_BROWSER=1
status=0
pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "tests/run.sh: pytest collected no test" >&2
    exit 1
fi
exit "$status"
