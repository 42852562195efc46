"""Diagnosis of the story grouping on the train and dev stories (never test): each same-story pair
the grouping misses and each different-story pair it joins, with the parts of their similarity
(lede embedding, shared facts, lede-name conflict, place and figure penalties, date bonus), and
pair precision/recall per set (plus the synthetic fit sets with --synthetic).

    .venv/bin/python benchmarks/story_pairs.py [--synthetic] [--ledes]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fit_stories import labelled_items, pair_scores, seed_items, synthetic_items  # noqa: E402

FAR = 10**6  # max_days that never separates two dated articles


def components(items, params):
    """name -> matrix of that part of the similarity (each part alone, the others switched off)."""
    import numpy as np

    from rag.digest.stories import similarity_matrix

    off = dataclasses.replace(
        params,
        fact_weight=0.0,
        conflict_penalty=0.0,
        date_bonus=0.0,
        place_penalty=0.0,
        figure_penalty=0.0,
        max_days=FAR,
    )
    base = similarity_matrix(items, off)
    parts = {"emb": base}
    for name, field in (
        ("facts", "fact_weight"),
        ("conflict", "conflict_penalty"),
        ("place", "place_penalty"),
        ("figure", "figure_penalty"),
        ("date", "date_bonus"),
    ):
        parts[name] = similarity_matrix(items, dataclasses.replace(off, **{field: getattr(params, field)})) - base
    days = similarity_matrix(items, dataclasses.replace(off, max_days=params.max_days))
    parts["apart"] = np.where(days == -1.0, 1.0, 0.0)  # dated more than max_days apart
    return parts


def report(label: str, items, gold, params, show_ledes: bool) -> dict:
    from rag.digest.stories import group, similarity_matrix

    sim = similarity_matrix(items, params)
    index = {id(i): k for k, i in enumerate(items)}
    stories = group(items, params, sim=sim.copy())
    groups = [[index[id(m)] for m in s.members] for s in stories]
    scores = pair_scores(groups, gold)
    print(f"== {label}: {scores} ({len(items)} articles, {len(set(gold))} stories, {len(stories)} groups)")
    if len(items) > 100:
        return scores
    parts = components(items, params)
    story_of = {k: g for g, members in enumerate(groups) for k in members}
    for a, b in itertools.combinations(range(len(items)), 2):
        same, together = gold[a] == gold[b], story_of[a] == story_of[b]
        if same == together:
            continue
        ia, ib = items[a], items[b]
        kind = "MISSED" if same else "FALSE "
        name = lambda i: f"{Path(i.row.source).name[:12]}({i.row.language},{i.row.published or 'undated'})"  # noqa: E731
        bits = " ".join(f"{n}={parts[n][a, b]:+.2f}" for n in parts if parts[n][a, b] or n == "emb")
        print(
            f"{kind} {gold[a]}/{gold[b]} {name(ia)} ~ {name(ib)}: sim={sim[a, b]:.2f} "
            f"(threshold {params.threshold}) {bits}"
        )
        if show_ledes:
            print(f"    A: {ia.lede[:300]}\n    B: {ib.lede[:300]}")
    return scores


def main() -> None:
    from rag.digest.stories import fitted

    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", action="store_true", help="also the synthetic sets of the fit (slower)")
    ap.add_argument("--ledes", action="store_true", help="print the two ledes of each pair")
    args = ap.parse_args()
    params = fitted()
    print(params)
    sets = [("train", labelled_items(("train",))), ("dev", labelled_items(("dev",))), ("seeds", seed_items())]
    if args.synthetic:
        sets += [
            (f"synthetic-{n}-{s}", synthetic_items(n, s)) for n, s in ((200, 7), (1000, 13), (200, 11), (1000, 17))
        ]
    for label, (items, gold) in sets:
        report(label, items, gold, params, args.ledes)


if __name__ == "__main__":
    main()
