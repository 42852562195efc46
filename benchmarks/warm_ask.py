"""Warm offline ask over real HTTP (goal <= 0.2 s): `rag serve` on 127.0.0.1 with the seeds, every
question of evals/qa.yaml asked once (first pass) and again (second pass); latency measured by the
client. The reference is an HTTP GET /health in the same run.

    .venv/bin/python benchmarks/warm_ask.py
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def post(url: str, body: dict) -> float:
    t = time.perf_counter()
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    urllib.request.urlopen(req, timeout=60).read()
    return time.perf_counter() - t


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rag-warm-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env |= {"RAG_HOME": str(work / "home"), "RAG_MODELS_DIR": str(work / "models")}
    subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(ROOT / "seeds")], env=env, check=True, capture_output=True
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=1).read()
                break
            except OSError:
                if time.perf_counter() - t0 > 120:
                    raise
                time.sleep(0.1)
        startup = time.perf_counter() - t0
        questions = [c["question"] for c in yaml.safe_load((ROOT / "evals" / "qa.yaml").read_text())["cases"]]
        first = [post(base + "/ask", {"question": q}) for q in questions]
        second = [post(base + "/ask", {"question": q}) for q in questions]
        health = []
        for _ in range(20):
            t = time.perf_counter()
            urllib.request.urlopen(base + "/health", timeout=5).read()
            health.append(time.perf_counter() - t)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)

    def p(xs, q):
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]

    ref = statistics.median(health)
    print(
        json.dumps(
            {
                "questions": len(questions),
                "serve_startup_s": round(startup, 2),
                "first_pass": {
                    "p50_s": round(p(first, 0.5), 3),
                    "p95_s": round(p(first, 0.95), 3),
                    "max_s": round(max(first), 3),
                },
                "second_pass": {"p50_s": round(p(second, 0.5), 3), "p95_s": round(p(second, 0.95), 3)},
                "reference_get_health_p50_s": round(ref, 4),
                "ratio_first_pass_p50_to_reference": round(p(first, 0.5) / ref, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
