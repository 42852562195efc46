#!/usr/bin/env bash
# Creates .venv with everything rag needs. After this, rag runs with no network at all.
# Safe to re-run: skips the install when pyproject.toml has not changed since the last one.
set -euo pipefail
cd "$(dirname "$0")/.."

py=""
for candidate in "${PYTHON:-}" python3.11 python3; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    py=$candidate; break
  fi
done
[ -n "$py" ] || { echo "setup: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

[ -x .venv/bin/python ] || "$py" -m venv .venv
stamp=.venv/.rag-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing dependencies into .venv (first time: ~6 min, llama.cpp is compiled)" >&2
  # torch first and alone: only exactly 2.13.0 resolves to the local CPU wheel (else GBs of CUDA)
  .venv/bin/pip install -q torch==2.13.0
  # llama.cpp's native build segfaults on these CPUs; pip caches the wheel afterwards
  CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

# The HTML digest is tested in a real headless browser: Debian's chromium.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium (for the HTML digest test)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing; the HTML digest test needs it (apt-get install chromium)" >&2
  fi
fi
