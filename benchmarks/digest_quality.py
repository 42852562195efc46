"""Story grouping quality with the fitted parameters (rag/data/stories.json):

- pair precision/recall on the evaluation corpus per split (train, dev, test stories; grouped
  all together as a digest would, scored within each split), and which stories mix languages;
- stability: the 20 unrelated articles of evals/corpus_extra/ added, as the next digest sees them
  (corpus stories known) and grouped afresh (--regroup): does any corpus story change, does any
  extra article join one?
- the synthetic generator at 1,000 articles (seed 3, never used in fitting): pair precision and
  recall, and the time of `rag digest --all` on them (median of 3, a fresh process each).
- headlines and publication dates against the labels (evals/labels/).

    .venv/bin/python benchmarks/digest_quality.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fit_stories import pair_scores, synthetic_items  # noqa: E402


def corpus_items(folders: list[Path]):
    from rag.digest.stories import prepare
    from rag.evaluation.run import eval_workspace
    from rag.ingest.pipeline import ingest
    from rag.settings import load_settings

    key = Path(tempfile.gettempdir()) / ("rag-digest-" + "-".join(f.name for f in folders))
    key.mkdir(exist_ok=True)
    ws = eval_workspace(load_settings(), key)
    ingest(ws, folders, prune=True)
    return prepare(ws.catalog.articles(), ws.embedder), ws


def main() -> None:
    import yaml

    from rag.digest.stories import group

    labels = {a["file"]: a for a in yaml.safe_load((ROOT / "evals/labels/corpus.yaml").read_text())["articles"]}
    extra = {a["file"]: a for a in yaml.safe_load((ROOT / "evals/labels/extra.yaml").read_text())["articles"]}
    out: dict = {"date": time.strftime("%Y-%m-%d")}

    items, ws = corpus_items([ROOT / "evals" / "corpus"])
    stories = group(items)
    story_of = {m.row.source: k for k, s in enumerate(stories) for m in s.members}
    for split in ("train", "dev", "test"):
        files = [f for f, a in labels.items() if a["split"] == split]
        groups: dict[int, list[int]] = {}
        for n, f in enumerate(files):
            groups.setdefault(story_of[f], []).append(n)
        out[f"corpus_{split}"] = pair_scores(list(groups.values()), [labels[f]["story"] for f in files])
    mixed = []
    for s in stories:
        langs = {m.row.language for m in s.members}
        gold = {labels[m.row.source]["story"] for m in s.members}
        if len(langs) > 1 and len(gold) == 1:
            mixed.append(f"{gold.pop()} ({labels[s.members[0].row.source]['split']}, {len(s.members)} articles)")
    out["stories_mixing_german_and_english_correctly"] = mixed
    out["headlines_correct"] = (
        f"{sum(r.title == labels[r.source]['headline'] for r in ws.catalog.articles())}/{len(labels)}"
    )
    dated = [r for r in ws.catalog.articles() if labels[r.source]["published"]]
    out["dates_found"] = f"{sum(r.published == str(labels[r.source]['published']) for r in dated)}/{len(dated)}"

    both, _ = corpus_items([ROOT / "evals" / "corpus", ROOT / "evals" / "corpus_extra"])
    before = {frozenset(m.row.source for m in s.members) for s in stories}

    def name(m) -> str:
        return m.row.source.split("/")[-1]

    # as digests run: the corpus stories are known (stories.json), the extra articles are new
    known_of = {name(m): f"s{k}" for k, s in enumerate(stories) for m in s.members}
    for label, known in (("incremental", [known_of.get(name(i)) for i in both]), ("regrouped", None)):
        after = [frozenset(name(m) for m in s.members) for s in group(both, known=known)]
        joined = [sorted(g) for g in after if g & set(extra) and g & set(labels)]
        changed = before - {g - set(extra) for g in after if g - set(extra)}
        out[f"stability_extra_20_{label}"] = {
            "corpus_stories_changed": len(changed),
            "extra_articles_joining_a_story": joined,
        }

    syn, gold = synthetic_items(1000, 3)
    index = {id(i): k for k, i in enumerate(syn)}
    out["synthetic_1000"] = pair_scores([[index[id(m)] for m in s.members] for s in group(syn)], gold)
    folder = Path(tempfile.gettempdir()) / "rag-synthetic-1000-3"
    home = Path(tempfile.mkdtemp(prefix="rag-digest-bench-"))
    env = {**os.environ, "RAG_HOME": str(home)}
    rag = [sys.executable, "-m", "rag"]
    subprocess.run(rag + ["ingest", str(folder)], env=env, check=True, capture_output=True)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            rag + ["digest", "--all", "--format", "json", "-o", str(home / "d.json")],
            env=env,
            check=True,
            capture_output=True,
        )
        runs.append(time.perf_counter() - t)
    out["synthetic_1000_digest_seconds_median_of_3"] = round(statistics.median(runs), 2)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
