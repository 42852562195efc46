"""Full offline eval time (goal: <= 120 s on 2 cores). Each run uses a fresh RAG_HOME (the eval
store is built from scratch); the ONNX model cache is shared after the first run.

    .venv/bin/python benchmarks/eval_time.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-evalbench-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    base["RAG_MODELS_DIR"] = str(work / "models")

    def once(i: int) -> float:
        env = {**base, "RAG_HOME": str(work / f"home{i}")}
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rag", "eval"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - t

    first = once(0)  # includes exporting MiniLM to ONNX
    runs = [once(i + 1) for i in range(args.repeats)]
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    ref = time.perf_counter() - t
    print(
        json.dumps(
            {
                "first_run_with_onnx_export_s": round(first, 2),
                "median_s": round(statistics.median(runs), 2),
                "runs_s": [round(r, 2) for r in runs],
                "reference_python_s": round(ref, 3),
                "ratio_to_reference": round(statistics.median(runs) / ref, 1),
            },
            indent=2,
        )
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
