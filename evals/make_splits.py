"""Writes the fixed train/dev/test splits of the blind question banks (evals/bank/) into
evals/splits/<split>/. Run it only when a bank changes; the output is committed.

- Corpus questions (evals/corpus/) follow the split of their story (evals/labels/corpus.yaml), so
  the test split asks about articles never seen while tuning. Questions without sources
  (unanswerable) are spread over the splits by a hash of their id.
- Seed questions are spread by a hash of their id within each question type: 50/20/30.
- Locked test batches, not part of the CI gate: test2 (bank test2_*.yaml on evals/corpus_test2/),
  run once on 2026-11-30 (BENCHMARKS.md), so no longer blind; test3 (bank test3_*.yaml on
  evals/corpus_test3/), run once on 2026-11-30 (session 8, BENCHMARKS.md); test4 (bank test4_*.yaml on
  evals/corpus_test4/), run once on 2026-11-30 (session 9, BENCHMARKS.md); test5 (bank test5_*.yaml on
  evals/corpus_test5/), written 2026-11-30 (session 9), run once on 2026-11-30 (session 11) to choose
  between two selectors; test6 (bank test6_*.yaml on evals/corpus_test6/), written 2026-11-30
  (session 11), run once on 2026-11-30 (session 11); test7 (bank test7_*.yaml on evals/corpus_test7/),
  written and run once on 2026-11-30 (session 11); test8 (bank test8_*.yaml on evals/corpus_test8/),
  written 2026-11-30 (session 11), run once on 2026-12-01 (session 12); test9 (bank test9_*.yaml
  on evals/corpus_test9/), written 2026-12-01 (session 12), and test10 (bank test10_*.yaml on
  evals/corpus_test10/), written 2026-12-01 (session 13), both run once on 2026-12-01 (session 13),
  pooled, to judge the German chunks' English readings; test11 (bank test11_*.yaml on
  evals/corpus_test11/), written and run once on 2026-12-01 (session 14) to judge the richer answer
  model; test12 (bank test12_*.yaml on evals/corpus_test12/), written and run once on 2026-12-01
  (session 14) to judge corrected inputs of that model (rejected); test13 (bank test13_*.yaml on
  evals/corpus_test13/), written 2026-12-01 (session 14), run once on 2026-12-01 (session 15) to
  judge a reader fitted with a per-sentence loss (rejected); test14 and test15 (banks test14_*.yaml,
  test15_*.yaml on evals/corpus_test14/, evals/corpus_test15/), written and run once (pooled) on
  2026-12-01 (session 15) to judge a reader fitted on more questions.
- Questions on the unrelated articles (evals/corpus_extra/, bank extra_*.yaml), on the articles
  written to fit the answer reader (evals/corpus_fit/, bank fit_*.yaml) and on those written to
  calibrate the selector around it (evals/corpus_calib/, bank calib_*.yaml) are all train: none of
  their stories is in dev or test.

    python evals/make_splits.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SPLITS = ("train", "dev", "test")
# per ten questions: 5 train, 2 dev, 3 test
# train-only banks (bank/<name>_*.yaml) and the folder of articles they ask about
TRAIN_ONLY = {"extra": "corpus_extra", "fit": "corpus_fit", "calib": "corpus_calib"}
# locked test batches (bank/<name>_*.yaml on the folder): test2, test3 and test4 were each run once
# on 2026-11-30 (test5-test7 in session 11, test8 in session 12); test9 and test10 (pooled) in session 13;
# test11 and test12 in session 14, test13, test14 and test15 in session 15
LOCKED = {
    "test2": "corpus_test2",
    "test3": "corpus_test3",
    "test4": "corpus_test4",
    "test5": "corpus_test5",
    "test6": "corpus_test6",
    "test7": "corpus_test7",
    "test8": "corpus_test8",
    "test9": "corpus_test9",
    "test10": "corpus_test10",
    "test11": "corpus_test11",
    "test12": "corpus_test12",
    "test13": "corpus_test13",
    "test14": "corpus_test14",
    "test15": "corpus_test15",
}
_PATTERN = ("train", "test", "train", "dev", "train", "test", "train", "dev", "train", "test")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def spread(cases: list[dict], salt: str) -> dict[str, str]:
    """id -> split, stratified by type and fixed by a hash of the id."""
    out: dict[str, str] = {}
    by_type: dict[str, list[dict]] = {}
    for c in cases:
        by_type.setdefault(c["type"], []).append(c)
    for kind, group in sorted(by_type.items()):
        for i, c in enumerate(sorted(group, key=lambda c: _key(f"{salt}/{kind}/{c['id']}"))):
            out[c["id"]] = _PATTERN[i % len(_PATTERN)]
    return out


def main() -> None:
    labels = yaml.safe_load((HERE / "labels" / "corpus.yaml").read_text(encoding="utf-8"))["articles"]
    story_split = {a["file"]: a["split"] for a in labels}
    out: dict[str, dict[str, list[dict]]] = {s: {"seeds": [], "corpus": []} for s in SPLITS}
    for name in LOCKED:
        out[name] = {name: []}
        for path in sorted((HERE / "bank").glob(f"{name}_*.yaml")):
            out[name][name] += yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    for name in TRAIN_ONLY:
        out["train"][name] = []
        for path in sorted((HERE / "bank").glob(f"{name}_*.yaml")):
            out["train"][name] += yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    seeds = yaml.safe_load((HERE / "bank" / "seeds.yaml").read_text(encoding="utf-8"))["cases"]
    for c in seeds:
        c["id"] = f"seeds-{c['id']}"
    assigned = spread(seeds, "seeds")
    for c in seeds:
        out[assigned[c["id"]]]["seeds"].append(c)
    corpus: list[dict] = []
    for path in sorted((HERE / "bank").glob("corpus_*.yaml")):
        corpus += yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    unsourced = [c for c in corpus if not c.get("sources")]
    by_hash = spread(unsourced, "corpus")
    for c in corpus:
        splits = {story_split[s] for s in c.get("sources", [])}
        if len(splits) > 1:
            raise SystemExit(f"{c['id']}: sources in several splits {sorted(splits)}")
        split = splits.pop() if splits else by_hash[c["id"]]
        out[split]["corpus"].append(c)
    for split, files in out.items():
        stories: dict[str, list[str]] = {}
        for a in labels:
            if a["split"] == split:
                stories.setdefault(a["story"], []).append(a["file"])
        # story grouping on this split's articles: pair precision/recall in `rag eval`
        if "corpus" in files:
            files["corpus"].append(
                {"id": f"stories-{split}", "type": "digest", "stories": [sorted(v) for _, v in sorted(stories.items())]}
            )
        folder = HERE / "splits" / split
        folder.mkdir(parents=True, exist_ok=True)
        for name, cases in files.items():
            corpus_dir = "../../../seeds" if name == "seeds" else f"../../{(TRAIN_ONLY | LOCKED).get(name, 'corpus')}"
            head = (
                f"# {split} split of the blind bank (evals/bank/{name}*.yaml), written by evals/make_splits.py.\n"
                f"# Do not edit: change the bank and re-run the script.\n"
            )
            body = yaml.safe_dump(
                {"corpus": corpus_dir, "cases": cases}, sort_keys=False, allow_unicode=True, width=120
            )
            (folder / f"{name}.yaml").write_text(head + body, encoding="utf-8")
        print(split, {k: len(v) for k, v in files.items()})


if __name__ == "__main__":
    main()
