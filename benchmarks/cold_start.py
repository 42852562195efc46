"""Cold-start figures: `rag --help`, cold offline `rag ask` on the seeds store and on a 10k-chunk
store, cold ingest of the five seeds. Each command runs in a fresh process, repeated, medians.
Two references measured in the same run make the figures carry across machines: a bare
`python -c pass`, and the floor of an offline query, `python -c "import onnxruntime, tokenizers,
numpy"`. The asks use a new question each run, so nothing is answered from a cache.

    .venv/bin/python benchmarks/cold_start.py [--repeats 5] [--no-10k]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Who interviewed Trump on CBS?",
    "What did Demis Hassabis say about China?",
    "Who did Elon Musk meet in Beijing?",
    "What efficiency do the heterojunction solar cells achieve?",
    "Which companies run test zones with automated fleets?",
    "Where did Trump repeat his claim?",
    "What do Chinese rules require for data?",
]


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def median_of(n: int, cmd: list[str], env: dict, before=None) -> float:
    runs = []
    for _ in range(n):
        if before:
            before()
        runs.append(timed(cmd, env))
    return statistics.median(runs)


def peak_rss(cmd: list[str], env: dict, before=None) -> float:
    """Peak resident memory of one command, in MB (measured by a wrapper process around it)."""
    if before:
        before()
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL, check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], env=env, check=True, capture_output=True, text=True)
    return round(int(out.stdout.strip()) / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-10k", action="store_true", help="skip the 10k-chunk store (its ingest takes ~2 min)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    env = {**os.environ, "RAG_HOME": str(work / "home"), "RAG_MODELS_DIR": str(work / "models")}
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(var, None)
    rag = [sys.executable, "-m", "rag"]
    py = [sys.executable, "-c", "pass"]

    first_ever = timed(rag + ["ingest", str(ROOT / "seeds")], env)  # includes the one-time ONNX export

    def fresh_home():
        shutil.rmtree(work / "home", ignore_errors=True)

    floor = [sys.executable, "-c", "import onnxruntime, tokenizers, numpy"]
    questions = iter(QUESTIONS * 10)

    def ask_cmd(home: Path | None = None) -> list[str]:
        return rag + ["ask", next(questions)]

    results = {
        "rag ingest seeds/ (cold, new store)": median_of(
            max(3, args.repeats // 2), rag + ["ingest", str(ROOT / "seeds")], env, before=fresh_home
        ),
        "rag ingest seeds/ (unchanged)": median_of(args.repeats, rag + ["ingest", str(ROOT / "seeds")], env),
    }
    # the references and the short commands interleaved: this machine's speed drifts by 20-30 %
    # within minutes, and drift then moves a figure and its references alike
    big = {**env, "RAG_HOME": str(work / "home10k")}
    short = {
        "reference python -c pass": (lambda: py, env),
        "reference import onnxruntime, tokenizers, numpy": (lambda: floor, env),
        "rag --help": (lambda: rag + ["--help"], env),
        "rag ask (cold, extractive)": (ask_cmd, env),
    }
    if not args.no_10k:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from synthetic import generate

        generate(work / "synthetic10k", 10_000, seed=3)  # one chunk each
        subprocess.run(
            rag + ["ingest", str(work / "synthetic10k")],
            env=big,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        short["rag ask (cold, 10k-chunk store)"] = (ask_cmd, big)
    runs: dict[str, list[float]] = {k: [] for k in short}
    for _ in range(args.repeats):
        for name, (cmd, e) in short.items():
            runs[name].append(timed(cmd(), e))
    results = {**{k: statistics.median(v) for k, v in runs.items()}, **results}
    ref = results["reference python -c pass"]
    ref_floor = results["reference import onnxruntime, tokenizers, numpy"]
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "repeats": args.repeats,
        "first_ingest_with_onnx_export_s": round(first_ever, 3),
        "median_s": {k: round(v, 3) for k, v in results.items()},
        "ratio_to_python_pass": {k: round(v / ref, 1) for k, v in results.items()},
        "ratio_to_query_floor": {k: round(v / ref_floor, 2) for k, v in results.items()},
    }
    out["peak_rss_mb"] = {
        "rag --help": peak_rss(rag + ["--help"], env),
        "rag ask (cold, extractive)": peak_rss(rag + ["ask", "Who interviewed Trump on CBS?"], env),
        "rag ingest seeds/ (cold, new store)": peak_rss(rag + ["ingest", str(ROOT / "seeds")], env, fresh_home),
        "rag digest --all": peak_rss(rag + ["digest", "--all"], env),
    }
    print(json.dumps(out, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
