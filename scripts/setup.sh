#!/usr/bin/env bash
# Creates .venv with what rag needs. After this, rag runs with no network at all.
#   scripts/setup.sh         the product: ingest, ask, summarize, digest, eval, offline, with the local
#                            Gemma engine (llama.cpp, compiled once: ~5 min; it also translates German)
#   scripts/setup.sh --all   also the test tools and Debian's chromium for the HTML digest test
# Safe to re-run: skips what is installed already for this pyproject.toml and this script.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=core
case "${1:-}" in
  "") ;;
  --all) mode=all ;;
  *) echo "setup: unknown option ${1} (use no option for the core, or --all)" >&2; exit 2 ;;
esac

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
hash=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)  # a changed recipe installs again
have=$(cat "$stamp" 2>/dev/null || true)
if [ "$have" != "$hash all" ] && [ "$have" != "$hash $mode" ]; then
  # torch first and alone: only exactly 2.13.0 resolves to the local CPU wheel (else GBs of CUDA)
  if [ "$mode" = all ]; then
    echo "setup: installing rag with the local engine and test tools into .venv (first time: ~7 min, llama.cpp is compiled)" >&2
    .venv/bin/pip install -q torch==2.13.0
    # llama.cpp's native build segfaults on these CPUs; pip caches the wheel afterwards
    CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/pip install -q -e ".[local,dev]"
  else
    # the local engine is part of the core: at ingest it translates German sentences for the
    # English-only models the answer selector was fitted with
    echo "setup: installing rag with the local engine into .venv (first time: ~7 min, llama.cpp is compiled)" >&2
    .venv/bin/pip install -q torch==2.13.0
    # llama.cpp's native build segfaults on these CPUs; pip caches the wheel afterwards
    CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/pip install -q -e ".[local]"
  fi
  echo "$hash $mode" > "$stamp"
fi

# English <-> German questions use a general dictionary: Debian's trans-de-en (Ding, ~200k entries).
apt_ready=""
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  [ -n "$apt_ready" ] || { apt-get update -qq && apt_ready=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [ ! -f /usr/share/trans/de-en ] && [ -z "${RAG_DICTIONARY:-}" ]; then
  echo "setup: installing the English-German dictionary (Debian package trans-de-en)" >&2
  apt_install trans-de-en ||
    echo "setup: no dictionary; cross-language questions work less well (apt-get install trans-de-en, or set RAG_DICTIONARY to a Ding de-en file)" >&2
fi

[ "$mode" = all ] || exit 0
# The HTML digest is tested in a real headless browser: Debian's chromium.
if ! command -v chromium >/dev/null 2>&1; then
  if apt_install chromium; then
    echo "setup: installed chromium (for the HTML digest test)" >&2
  else
    echo "setup: chromium is missing; the HTML digest test needs it (apt-get install chromium)" >&2
  fi
fi
