"""Offline guarantee: with networking blocked (a fresh network namespace), ingest, ask, summarize,
digest and eval work, and not one outbound connection or DNS lookup is attempted (an audit hook
records every attempt: telemetry, hub downloads, tiktoken's BPE fetch would all show up)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

HOOK = """
import os, sys
_log = os.environ["RAG_TEST_NET_LOG"]
def _audit(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        if event == "socket.connect" and getattr(args[0], "family", None) == 1:
            return  # AF_UNIX: local IPC, not the network
        with open(_log, "a") as fh:
            fh.write(f"{event} {args[1:]!r}\\n")
sys.addaudithook(_audit)
"""


def test_everything_works_with_no_network_and_tries_none(tmp_path, seeds_copy):
    if not shutil.which("unshare") or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.fail("needs `unshare -n` (util-linux, as root) to block the network")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    log = tmp_path / "net.log"
    # a fresh model cache, so the one-time MiniLM -> ONNX export (transformers, torch) runs offline too
    env = {
        **os.environ,
        "PYTHONPATH": str(hook),
        "RAG_TEST_NET_LOG": str(log),
        "RAG_MODELS_DIR": str(tmp_path / "models"),
    }
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TIKTOKEN_CACHE_DIR"):
        env.pop(var, None)  # the product must not rely on the test environment for these

    def run(*args):
        r = subprocess.run(
            ["unshare", "-n", sys.executable, "-m", "rag", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, (args, r.stderr[-800:])
        return r.stdout

    run("ingest", str(seeds_copy))
    assert "Dokoupil" in json.loads(run("ask", "Who interviewed Trump on CBS?", "--json"))["answer"]
    run("summarize", "--topic", "Tesla AI training in China")
    assert json.loads(run("digest", "--all", "--format", "json"))["stories"]
    run("eval", "--cases", str(ROOT / "evals" / "summaries.yaml"))
    attempts = log.read_text() if log.exists() else ""
    assert attempts == "", attempts
