"""Fits the story-grouping parameters (rag/digest/stories.py) and writes rag/data/stories.json.

Two labelled sources: the evaluation corpus (evals/labels/corpus.yaml, split by story; its
articles state publication dates) and the synthetic generator (benchmarks/synthetic.py: 333
events per 1,000 articles sharing companies, people and cities, no dates, so content alone must
tell them apart), plus the five real articles of seeds/ (two stories). Every grid point is
scored by the mean pair F1 of the *train* stories, the seeds and two synthetic sets (200 articles
seed 7, 1,000 articles seed 13); a point whose precision on any set is below MIN_PRECISION ranks
below all others. Among the ten best, the one with the best mean F1 on the *dev* stories and two
other synthetic sets (seeds 11 and 17) is kept (ties: the stricter link). The test stories and
the 1,000-article set of seed 3 are never read here: benchmarks/digest_quality.py reports them.

    .venv/bin/python benchmarks/fit_stories.py [--dry-run]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MIN_PRECISION = 0.9
GRID = {
    "threshold": [round(0.5 + 0.1 * k, 2) for k in range(6)],
    "average_link": [0.4, 0.6],
    "fact_weight": [0.5, 1.0, 1.5],
    "max_days": [3],
    "conflict_penalty": [0.0, 0.2, 0.35],
    "date_bonus": [0.8],  # chosen by earlier, wider fits (0 / 0.4 / 0.8)
    "place_penalty": [1.0, 1.5],  # 0 / 0.5 / 1 tried earlier: 1 won; 0 never beat it
    "figure_penalty": [1.0, 1.5],
}


def synthetic_items(n: int, seed: int):
    """Generated articles and their event labels (the event id is in the file name)."""
    import re
    import tempfile

    from rag.digest.stories import prepare
    from rag.evaluation.run import eval_workspace
    from rag.ingest.pipeline import ingest
    from rag.settings import load_settings

    from synthetic import generate

    folder = Path(tempfile.gettempdir()) / f"rag-synthetic-{n}-{seed}"
    if not folder.exists():
        generate(folder, n, seed=seed)
    ws = eval_workspace(load_settings(), folder)
    ingest(ws, [folder], prune=True)
    items = prepare(ws.catalog.articles(), ws.embedder)
    return items, [re.search(r"_e(\d+)", i.row.source).group(1) for i in items]


def labelled_items(split_names: tuple[str, ...]):
    """The StoryArticles of the corpus articles whose story is in the given splits, with labels."""
    import yaml

    from rag.digest.stories import prepare
    from rag.evaluation.run import eval_workspace
    from rag.ingest.pipeline import ingest
    from rag.settings import load_settings

    labels = {a["file"]: a for a in yaml.safe_load((ROOT / "evals/labels/corpus.yaml").read_text())["articles"]}
    corpus = (ROOT / "evals" / "corpus").resolve()
    ws = eval_workspace(load_settings(), corpus)
    ingest(ws, [corpus], prune=True)
    rows = [r for r in ws.catalog.articles() if labels.get(r.source, {}).get("split") in split_names]
    items = prepare(rows, ws.embedder)
    return items, [labels[i.row.source]["story"] for i in items]


def seed_items():
    """The five real seed articles (seeds/) and their two stories, as the digest case in
    evals/summaries.yaml states them: real news, so a train set too (that case is then no
    held-out evidence for the grouping)."""
    import yaml

    from rag.digest.stories import prepare
    from rag.evaluation.run import eval_workspace
    from rag.ingest.pipeline import ingest
    from rag.settings import load_settings

    cases = yaml.safe_load((ROOT / "evals" / "summaries.yaml").read_text())["cases"]
    stories = next(c["stories"] for c in cases if c["id"] == "digest-two-stories")
    story_of = {f: k for k, g in enumerate(stories) for f in g}
    seeds = (ROOT / "seeds").resolve()
    ws = eval_workspace(load_settings(), seeds)
    ingest(ws, [seeds], prune=True)
    items = prepare(ws.catalog.articles(), ws.embedder)
    return items, [str(story_of[i.row.source]) for i in items]


def pair_scores(groups: list[list[int]], gold: list[str]) -> dict[str, float]:
    story_of = {k: g for g, members in enumerate(groups) for k in members}
    tp = fp = fn = 0
    for a, b in itertools.combinations(range(len(gold)), 2):
        same, together = gold[a] == gold[b], story_of[a] == story_of[b]
        tp += same and together
        fp += together and not same
        fn += same and not together
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0}


_SIM: dict = {}


def score(items, gold, params) -> dict[str, float]:
    from rag.digest.stories import group, similarity_matrix

    # the matrix depends on every parameter but the two cut-offs
    key = (id(items), dataclasses.replace(params, threshold=0.0, average_link=0.0))
    if key not in _SIM:
        _SIM[key] = similarity_matrix(items, params)
    index = {id(i): k for k, i in enumerate(items)}
    groups = group(items, params, sim=_SIM[key].copy())
    return pair_scores([[index[id(m)] for m in s.members] for s in groups], gold)


def main() -> None:
    from rag.digest.stories import Params

    ap = argparse.ArgumentParser()
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--show", action="store_true", help="print the ten best train points with their dev scores")
    args = ap.parse_args()
    train = [labelled_items(("train",)), seed_items(), synthetic_items(200, 7), synthetic_items(1000, 13)]
    dev = [labelled_items(("dev",)), synthetic_items(200, 11), synthetic_items(1000, 17)]

    def mean_f1(sets, params) -> tuple[float, float, list[dict]]:
        """Mean pair F1 over the sets, but a point whose grouping puts unrelated synthetic articles
        together too often (precision < MIN_PRECISION, the issue's goal for a digest at scale)
        ranks below every point that does not."""
        scores = [score(items, gold, params) for items, gold in sets]
        f1 = sum(x["f1"] for x in scores) / len(scores)
        if min(x["precision"] for x in scores) < MIN_PRECISION:
            f1 -= 1.0
        return (round(f1, 4), round(sum(x["precision"] for x in scores) / len(scores), 4), scores)

    results = []
    for values in itertools.product(*GRID.values()):
        params = Params(**dict(zip(GRID, values)))
        results.append((mean_f1(train, params), params))
    results.sort(key=lambda r: (-r[0][0], -r[0][1], -r[1].threshold, -r[1].average_link))
    judged = [(mean_f1(dev, params), t, params) for t, params in results[:10]]
    d, t, params = max(judged, key=lambda r: (r[0][0], r[0][1], r[2].threshold, r[2].average_link))
    if args.show:
        for dj, tj, pj in judged:
            print(
                {k: v for k, v in pj.__dict__.items() if k in GRID and len(GRID[k]) > 1},
                "train P/R",
                [(x["precision"], x["recall"]) for x in tj[2]],
                "dev P/R",
                [(x["precision"], x["recall"]) for x in dj[2]],
            )
    print("train (corpus, seeds, synthetic-200, synthetic-1000)", t[2])
    print("dev   (corpus, synthetic-200, synthetic-1000)", d[2])
    print("chosen", params)
    if not args.dry_run:
        data = {
            **params.__dict__,
            "fitted_on": "train stories + seeds/ + synthetic-200 seed 7 + synthetic-1000 "
            "seed 13 "
            "(grid), dev stories + synthetic-200 seed 11 + synthetic-1000 "
            "seed 17 (choice)",
        }
        (ROOT / "rag" / "data" / "stories.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print("wrote rag/data/stories.json")


if __name__ == "__main__":
    main()
