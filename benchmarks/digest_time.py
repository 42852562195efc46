"""Digest timing (goals: seeds offline <= 5 s; 1,000 synthetic articles <= 2 min on 2 cores) and
story-grouping quality on the synthetic corpus, whose file names carry the true event id (the
grouping itself never sees file names). Each digest runs in a fresh process, repeated.

    .venv/bin/python benchmarks/digest_time.py [--articles 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import generate  # noqa: E402


def run(cmd, env) -> tuple[float, str]:
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - t, r.stdout


def pairwise_scores(stories: list[list[str]]) -> dict:
    """Precision/recall over same-story article pairs against the true event ids."""

    def pairs(groups):
        out = set()
        for g in groups:
            g = sorted(g)
            out |= {(a, b) for i, a in enumerate(g) for b in g[i + 1 :]}
        return out

    def event(s):
        return re.search(r"_e(\d+)", s).group(1)

    predicted = pairs(stories)
    truth_groups: dict[str, list[str]] = {}
    for s in (x for g in stories for x in g):
        truth_groups.setdefault(event(s), []).append(s)
    truth = pairs(truth_groups.values())
    tp = len(predicted & truth)
    return {
        "pair_precision": round(tp / max(1, len(predicted)), 3),
        "pair_recall": round(tp / max(1, len(truth)), 3),
        "stories": len(stories),
        "true_events": len(truth_groups),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-digestbench-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    base["RAG_MODELS_DIR"] = str(work / "models")
    rag = [sys.executable, "-m", "rag"]
    results = {}

    env = {**base, "RAG_HOME": str(work / "seeds-home")}
    run(rag + ["ingest", str(ROOT / "seeds")], env)
    times = [run(rag + ["digest", "--all", "--format", "json"], env)[0] for _ in range(a.repeats)]
    results["digest seeds (5 articles)"] = {
        "median_s": round(statistics.median(times), 3),
        "runs_s": [round(t, 3) for t in times],
    }

    corpus = work / "synthetic"
    generate(corpus, a.articles)
    env = {**base, "RAG_HOME": str(work / "synth-home")}
    t_ingest, _ = run(rag + ["ingest", str(corpus)], env)
    times, out = [], ""
    for _ in range(a.repeats):
        t, out = run(rag + ["digest", "--all", "--format", "json"], env)
        times.append(t)
    digest = json.loads(out)
    stories = [[x["source"] for x in s["articles"]] for s in digest["stories"]]
    results[f"digest synthetic ({a.articles} articles)"] = {
        "median_s": round(statistics.median(times), 3),
        "runs_s": [round(t, 3) for t in times],
        "ingest_s": round(t_ingest, 1),
        **pairwise_scores(stories),
        "largest_story": max(len(s) for s in stories),
        "story_sizes": dict(sorted(Counter(len(s) for s in stories).items())),
    }
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    results["reference python -c pass"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
