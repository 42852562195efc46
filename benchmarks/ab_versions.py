"""Timing A/B of two versions of rag on this machine: the working tree against a git revision,
run alternately (old, new, new, old, …) so that the machine's drift (20-30 % within minutes here)
hits both alike. Measures a cold `rag ask` on the seeds (wall and CPU time of fresh processes) and
`ingest()` of synthetic articles, and prints the medians and new/old ratios.

    .venv/bin/python benchmarks/ab_versions.py --base 12beff4 [--asks 30] [--ingests 3] [--articles 1000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
QUESTION = "Who interviewed Trump on CBS, and when?"
INGEST = (
    "import sys, time; from pathlib import Path; from rag.ingest.pipeline import ingest; "
    "from rag.settings import load_settings; from rag.workspace import Workspace; "
    "ws = Workspace(load_settings(home=Path(sys.argv[1]))); t = time.perf_counter(); "
    "r = ingest(ws, [Path(sys.argv[2])]); print(time.perf_counter() - t, r.embedded_chunks)"
)


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the git revision to compare with")
    ap.add_argument("--asks", type=int, default=30)
    ap.add_argument("--ingests", type=int, default=3)
    ap.add_argument("--articles", type=int, default=1000)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-ab-"))
    old = work / "old"
    subprocess.run(["git", "worktree", "add", "--detach", str(old), a.base], cwd=ROOT, check=True, capture_output=True)
    code = {"old": old, "new": ROOT}
    try:

        def env(v: str, home: Path) -> dict:
            return dict(
                os.environ,
                PYTHONPATH=str(code[v]),
                RAG_HOME=str(home),
                HF_HUB_OFFLINE="1",
                RAG_MODELS_DIR=str(work / "models"),
            )

        for v in code:  # ready stores (and the ONNX export), outside the timings
            subprocess.run(
                [PY, "-m", "rag", "ingest", str(ROOT / "seeds")],
                env=env(v, work / f"ask-{v}"),
                check=True,
                capture_output=True,
                cwd=work,
            )
        wall: dict[str, list[float]] = {"old": [], "new": []}
        cpu: dict[str, list[float]] = {"old": [], "new": []}
        for i in range(a.asks):
            for v in ("old", "new") if i % 2 == 0 else ("new", "old"):
                c0, t0 = child_cpu(), time.perf_counter()
                subprocess.run(
                    [PY, "-m", "rag", "ask", QUESTION],
                    env=env(v, work / f"ask-{v}"),
                    check=True,
                    capture_output=True,
                    cwd=work,
                )
                wall[v].append(time.perf_counter() - t0)
                cpu[v].append(child_cpu() - c0)
        for v in code:
            print(f"cold ask {v}: wall {statistics.median(wall[v]):.3f} s, cpu {statistics.median(cpu[v]):.3f} s")
        print(
            f"cold ask new/old: wall {statistics.median(wall['new']) / statistics.median(wall['old']):.3f}, "
            f"cpu {statistics.median(cpu['new']) / statistics.median(cpu['old']):.3f}"
        )

        sys.path.insert(0, str(ROOT / "benchmarks"))
        from synthetic import generate

        corpus = work / "corpus"
        generate(corpus, a.articles, sentences=8, background=12)
        ingest_s: dict[str, list[float]] = {"old": [], "new": []}
        for i in range(a.ingests):
            for v in ("old", "new") if i % 2 == 0 else ("new", "old"):
                out = subprocess.run(
                    [PY, "-c", INGEST, str(work / f"ing-{v}-{i}"), str(corpus)],
                    env=env(v, work / f"ing-{v}-{i}"),
                    check=True,
                    capture_output=True,
                    text=True,
                )
                ingest_s[v].append(float(out.stdout.split()[0]))
        for v in code:
            print(f"ingest {v}: median {statistics.median(ingest_s[v]):.2f} s {[round(x, 2) for x in ingest_s[v]]}")
        print(f"ingest new/old: {statistics.median(ingest_s['new']) / statistics.median(ingest_s['old']):.3f}")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
