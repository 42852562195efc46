"""How often retrieval hands the answer engine a passage stating the expected fact, for questions
about facts only a German article states (type german_only, asked in English) and for the rest,
with and without the German chunks' English readings (rag/ingest/english.py).

    .venv/bin/python benchmarks/german_retrieval.py test7 test8 [--without-readings]

Splits are folders under evals/splits/ (a locked batch not yet run must not be read this way)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _WithoutReadings:
    """A workspace whose vector search leaves the English readings out (as before session 13)."""

    def __init__(self, ws):
        self.ws = ws

    def __getattr__(self, name):
        return getattr(self.ws, name)

    @property
    def vectors(self):
        return self

    def query(self, embedding, n: int):
        from rag.ingest.english import SUFFIX

        return [hit for hit in self.ws.vectors.query(embedding, 3 * n) if not hit[0].endswith(SUFFIX)][:n]


def main() -> None:
    from rag.evaluation.cases import facts_found, load
    from rag.evaluation.run import eval_workspace
    from rag.ingest.pipeline import ingest
    from rag.retrieval.search import retrieve
    from rag.settings import load_settings

    ap = argparse.ArgumentParser()
    ap.add_argument("splits", nargs="+")
    ap.add_argument("--without-readings", action="store_true")
    args = ap.parse_args()
    settings = load_settings()
    counts: Counter = Counter()
    for cf in load([ROOT / "evals" / "splits" / name for name in args.splits]):
        ws = eval_workspace(settings, cf.corpus)
        ingest(ws, [cf.corpus], prune=True)
        if args.without_readings:
            ws = _WithoutReadings(ws)
        for case in cf.cases:
            if case.type in ("digest", "summary") or case.refuse:
                continue
            kind = "german_only" if case.type == "german_only" else "other"
            counts[kind, "questions"] += 1
            counts[kind, "found"] += any(facts_found(case, p.text) for p in retrieve(ws, case.question))
    for kind in ("german_only", "other"):
        print(f"{kind:12s} passage stating the fact retrieved: {counts[kind, 'found']}/{counts[kind, 'questions']}")


if __name__ == "__main__":
    main()
