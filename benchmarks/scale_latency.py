"""How cost grows: ingest time and query latency (retrieval alone; full offline ask) against corpus
size, with the real MiniLM at every size (100k chunks: ~25 min of ingest on 2 cores). --hash-sizes
adds stores filled by a deterministic 384-d hash embedder, for sizes where real embedding would take
too long: Chroma's HNSW search, BM25 and catalog lookups are still the real ones.

    .venv/bin/python benchmarks/scale_latency.py [--sizes 1000,10000,100000] [--hash-sizes N,...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import COMPANIES, THINGS, generate  # noqa: E402


class HashEmbedder:
    name, dim = "hash-384", 384

    def embed(self, texts):
        out = []
        for t in texts:
            v = [0.0] * self.dim
            for w in re.findall(r"\w+", t.lower()):
                v[int(hashlib.md5(w.encode()).hexdigest()[:8], 16) % self.dim] += 1.0
            n = math.sqrt(sum(x * x for x in v)) or 1.0
            out.append([x / n for x in v])
        return out


def pct(xs, q):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 4)


def measure(n_chunks: int, hashed: bool, work: Path, queries: int) -> dict:
    from rag.answer.engines import ExtractiveEngine
    from rag.ingest.pipeline import ingest
    from rag.retrieval.search import retrieve
    from rag.settings import load_settings
    from rag.workspace import Workspace

    corpus = work / f"corpus-{n_chunks}"
    generate(corpus, n_chunks, sentences=8)  # one chunk per synthetic article
    ws = Workspace(load_settings(home=work / f"home-{n_chunks}"), embedder=HashEmbedder() if hashed else None)
    t = time.perf_counter()
    report = ingest(ws, [corpus])
    t_ingest = time.perf_counter() - t
    rng = random.Random(5)
    qs = [f"Where does {rng.choice(COMPANIES)} plan its new {rng.choice(THINGS)[0]}?" for _ in range(queries)]
    retrieve(ws, "warm up")  # loads the index once, as serve/chat do
    engine = ExtractiveEngine(ws)
    r, a = [], []
    for q in qs:
        t = time.perf_counter()
        passages = retrieve(ws, q)
        r.append(time.perf_counter() - t)
        engine.answer(q, passages)
        a.append(time.perf_counter() - t)
    return {
        "chunks": report.embedded_chunks,
        "embedder": "hash-384" if hashed else "MiniLM (ONNX)",
        "ingest_s": round(t_ingest, 1),
        "ingest_chunks_per_s": round(report.embedded_chunks / t_ingest, 1),
        "retrieval_p50_s": pct(r, 0.5),
        "retrieval_p95_s": pct(r, 0.95),
        "ask_p50_s": pct(a, 0.5),
        "ask_p95_s": pct(a, 0.95),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--hash-sizes", default="")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--keep", action="store_true", help="keep the stores (their folder is printed to stderr)")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-scale-"))
    os.environ["RAG_MODELS_DIR"] = str(work / "models")
    rows = []
    for n, hashed in [(int(n), False) for n in a.sizes.split(",") if n] + [
        (int(n), True) for n in a.hash_sizes.split(",") if n
    ]:
        rows.append(measure(n, hashed, work, a.queries))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # long runs: each size as it ends
    print(json.dumps(rows, indent=2))
    if a.keep:
        print(f"stores kept in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
