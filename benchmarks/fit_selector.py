"""Fits the answer selector (rag/answer/selector.py) and writes rag/data/selector.json.

The ranker, on the *train* split of the blind question bank: a softmax over each question's
candidate sentences (positive: the sentence states the expected facts). Then, on every question
the answer reader was not fitted on (the reader learns from train's extra and fit banks,
benchmarks/fit_cross_encoder.py): train's seeds, corpus and calib banks and the locked test batches
already run once (SPENT), about 2,400 questions: how much the reader's score counts (reader_weight:
the softmax over the ranker's top `READER_TOP` eligible sentences, on a grid); the answer model, a
logistic regression (inputs standardised, L2 penalty ANSWER_L2) on whether the chosen sentences
state the expected facts, from the summaries of rag/answer/confidence.py (seven until session 13;
with --reading also from the reader's reading of the best sentence, its pooled hidden states
projected on their first READING_DIMS principal directions: better by cross-validation, worse on
the locked test8 batch, so not shipped; session 12); and, by that model's
cross-validated utility (5-fold, 5 draws): keep_ratio (how close a runner-up must come to join the
answer; the shortest answers among near-equals) and answer_threshold (the lowest among
near-equals). Utility: correct answers + correct refusals - WRONG_COST x wrong answers. A wrong
answer costs three refusals: a reader acts on an answer the tool presents as the articles' word,
while a refusal still shows the closest sentences, so the reader can judge them (the issue's goal,
recall 0.85 with at most 3 % wrong, puts a wrong answer far above a missed one).

Until session 11 keep_ratio and the threshold were chosen on dev, 60 questions: too few to tell
operating points apart (the threshold it picked moved between 0.675 and 0.8 with small changes).
Dev is now only a check; a new locked batch judges each change. The unrun test batches are never
read here.

    .venv/bin/python benchmarks/fit_selector.py [--dry-run] [--reading] [--out PATH] [--spent test9,...]

(--spent: which spent batches to fit on, by default SPENT; the count of questions above depends on
it.)
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.evidence import FEATURES  # noqa: E402

L2 = 1.0
# the answer model: the reading's principal directions it sees, its penalty on standardised inputs.
# Session 12, cross-validated utility on 1,666 unread questions (per question / leaving one bank
# out): seven inputs alone 477 / 470; + 8 directions 507 / 506, + 32 509 / 509, + 64 526 / 541, all
# 384 525 / 524 (L2 30; L2 1 or 300 lower). The bi-encoder's question x sentence product instead
# of the reading: no gain (at most 474).
READING_DIMS = 64
ANSWER_L2 = 30.0
WRONG_COST = 3.0
TOLERANCE = 1.0
READER_TOP = 10
READER_BANKS = ("extra", "fit")  # what benchmarks/fit_cross_encoder.py trains the reader on
# an answer is the best sentence plus up to two more whose softmax share is at least keep_ratio
# of the best's; below a twentieth, a sentence is no contender
KEEP_GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.05, 0.95, 0.025), 3))
FOLDS, SEEDS = 5, 5
# the locked test batches already run once (evals/make_splits.py): questions the reader never saw.
# test7 judged the session-11 fit, test8 --reading (session 12: not shipped); test9 and test10,
# pooled, the German chunks' English readings (session 13, kept); test11 the answer model of
# rag/answer/confidence.py (session 14, kept); test12 and test13 rejected changes (sessions 14, 15).
# The default is the shipped fit's; a reader fitted on some of them (fit_cross_encoder.py --spent)
# needs --spent naming the others
SPENT = ("test2", "test3", "test4", "test5", "test6", "test7", "test8", "test9", "test10")
# every locked batch already run once: the only names --spent (here and in fit_cross_encoder.py)
# accepts; a batch still locked judges a change and must stay unread
RUN_BATCHES = SPENT + ("test11", "test12", "test13", "test14", "test15")


def spent_batches(names: str) -> list[str]:
    """The comma-separated batch names, checked: each a locked batch already run."""
    out = list(dict.fromkeys(name.strip() for name in names.split(",") if name.strip()))
    bad = [name for name in out if name not in RUN_BATCHES]
    if bad:
        sys.exit(f"not a spent locked batch: {', '.join(bad)} (spent: {', '.join(RUN_BATCHES)})")
    return out


def candidates_for(paths: list[Path], ranker: dict[str, float] | None = None) -> list[dict]:
    """Per question of the case files (or folders): its case and the feature rows + labels of its
    candidate sentences; the question and each sentence with the one before it in English (what
    the reader reads); each sentence alone in English and its article (what
    benchmarks/answer_model_cv.py compares); the candidates in `ranker`'s order (default: the
    shipped one) ("order") and the eligible ones in that order ("top")."""
    from rag.answer import evidence as ev
    from rag.answer.confidence import specifics
    from rag.answer.selector import eligible, english_for
    from rag.evaluation.cases import facts_found, load
    from rag.evaluation.run import eval_workspace
    from rag.ingest.pipeline import ingest
    from rag.retrieval.bm25 import load_index
    from rag.retrieval.search import retrieve
    from rag.settings import load_settings
    from rag.text.crosslingual import in_english

    settings = load_settings()
    # the ranker only orders candidates (the reader's hard negatives); the shipped one is read
    # leniently, so a change of the answer model's inputs can still be fitted
    shipped = json.loads((ROOT / "rag" / "data" / "selector.json").read_text(encoding="utf-8"))["weights"]
    ranker = ranker or shipped
    out = []
    for cf in load(paths):
        ws = eval_workspace(settings, cf.corpus)
        ingest(ws, [cf.corpus], prune=True)
        index = load_index(ws.catalog, ws.home / "cache")
        corpus_terms = set(index.postings)
        for case in cf.cases:
            if case.type in ("digest", "summary"):
                continue
            passages = retrieve(ws, case.question)
            texts = {p.article_id: ws.catalog.article(p.article_id).text for p in passages}
            q = ev.analyse(case.question, index.idf)
            sentences = ev.evidence_sentences(passages, texts)
            known = english_for(ws, q.language, sentences)
            cands = ev.describe(q, sentences, ws.embedder.embed, english=partial(in_english, known=known))
            base = np.array([sum(v * c.features.get(k, 0.0) for k, v in ranker.items()) for c in cands])
            order = [int(i) for i in np.argsort(-base, kind="stable")]
            texts_en = [in_english(c.text, c.passage.language, known) for c in cands]
            out.append(
                {
                    "case": case,
                    "bank": cf.path.stem,
                    "flat_refusal": bool(ev.missing_specifics(q, corpus_terms)),
                    "X": np.array([[c.features[f] for f in FEATURES] for c in cands]).reshape(-1, len(FEATURES)),
                    "y": np.array([(not case.refuse) and facts_found(case, c.text) for c in cands], dtype=bool),
                    "texts": [c.text for c in cands],
                    "texts_en": texts_en,
                    "articles": [c.passage.article_id for c in cands],
                    "question_en": in_english(case.question, q.language, known),
                    "contexts_en": [in_english(c.context, c.passage.language, known) for c in cands],
                    "order": order,
                    "kind": q.kind.value,
                    "adds": [specifics((c.text, en), q.stems) for c, en in zip(cands, texts_en)],
                    "top": np.array([i for i in order if eligible(cands[i].features)], dtype=int),
                }
            )
    return out


def fit_ranker(questions: list[dict], l2: float = L2, steps: int = 3000, lr: float = 0.05) -> np.ndarray:
    """Softmax over each question's candidates (conditional logit), maximising the probability of
    the sentences that state the answer; Adam on the mean log-likelihood plus l2 * |w|^2 / n."""
    groups = [(q["X"], q["y"] > 0) for q in questions if len(q["y"]) and q["y"].any()]
    d = groups[0][0].shape[1]
    w, m, v = np.zeros(d), np.zeros(d), np.zeros(d)
    for t in range(1, steps + 1):
        grad = 2 * l2 * w / len(groups)
        for X, pos in groups:
            s = X @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            p_pos = p[pos] / p[pos].sum()
            grad -= (p_pos @ X[pos] - p @ X) / len(groups)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method on the mean log-loss plus l2/n * |w|^2 (bias not penalised)."""
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2 / n)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-A @ w))
        grad = A.T @ (p - y) / n + 2 * reg * w
        H = (A * (p * (1 - p))[:, None]).T @ A / n + 2 * np.diag(reg)
        step = np.linalg.solve(H + 1e-9 * np.eye(d + 1), grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def read(questions: list[dict], w: np.ndarray) -> None:
    """Each question's reader scores and readings for the ranker's top READER_TOP eligible sentences
    ("rtop", "r", "v")."""
    from rag.answer.selector import eligible
    from rag.models.cross_encoder import CrossEncoder
    from rag.settings import load_settings

    reader = CrossEncoder(load_settings().model_cache)
    for q in questions:
        ok = [i for i in range(len(q["y"])) if eligible(dict(zip(FEATURES, q["X"][i])))]
        base = q["X"] @ w if len(q["y"]) else np.zeros(0)
        q["rtop"] = np.array(sorted(ok, key=lambda i: -base[i])[:READER_TOP], dtype=int)
        read = reader.read(q["question_en"], [q["contexts_en"][i] for i in q["rtop"]])
        q["r"] = np.array([score for score, _ in read])
        q["v"] = np.array([reading for _, reading in read]) if read else np.zeros((0, 0))


def fit_reader_weight(questions: list[dict], w: np.ndarray) -> float:
    """The weight maximising the mean log-probability of the answer sentences among each
    question's read sentences (ranker score + weight x reader score)."""
    groups = [(q["X"][q["rtop"]] @ w, q["r"], q["y"][q["rtop"]]) for q in questions if q["y"][q["rtop"]].any()]

    def loglik(a: float) -> float:
        total = 0.0
        for base, r, pos in groups:
            s = base + a * r
            s = s - s.max()
            total += np.log(np.exp(s[pos]).sum()) - np.log(np.exp(s).sum())
        return total / len(groups)

    return max(np.round(np.arange(0.0, 4.01, 0.1), 2), key=loglik)


def outcomes(questions: list[dict], w: np.ndarray, a: float, keep: float, basis: tuple | None = None) -> list[dict]:
    """Per question: the answer model's inputs ("x": confidence.ANSWER_FEATURES, then the best sentence's reading
    projected on `basis` when given), whether answering would be right, the best sentence's reading
    ("reading") and the read sentences in their final order ("order": positions in "rtop"; "scores")."""
    from rag.answer.confidence import ANSWER_FEATURES, answer_features
    from rag.evaluation.cases import facts_found

    out = []
    for q in questions:
        if not len(q["rtop"]) or q["flat_refusal"]:
            out.append({"case": q["case"], "x": None, "right": False})
            continue
        s = q["X"][q["rtop"]] @ w + a * q["r"]
        order = np.argsort(-s, kind="stable")
        best = q["rtop"][order[0]]
        read = q["rtop"][order]
        feats = answer_features(
            [float(x) for x in s[order]],
            dict(zip(FEATURES, q["X"][best])),
            [float(x) for x in q["r"][order]],
            q["kind"],
            [q["adds"][i] for i in read],
            [q["articles"][i] for i in read],
        )
        chosen = [q["rtop"][i] for i in order[:3] if np.exp(s[i] - s[order[0]]) >= keep]
        text = " ".join(q["texts"][i] for i in chosen)
        right = (not q["case"].refuse) and facts_found(q["case"], text)
        x = np.array([feats[k] for k in ANSWER_FEATURES])
        reading = q["v"][order[0]]
        if basis is not None:
            x = np.concatenate([x, (reading - basis[0]) @ basis[1].T])
        out.append(
            {
                "case": q["case"],
                "x": x,
                "right": right,
                "question": q,
                "order": order,
                "scores": s[order],
                "reading": reading,
            }
        )
    return out


def reading_basis(rows: list[dict], dims: int = READING_DIMS) -> tuple[np.ndarray, np.ndarray]:
    """The mean of the best sentences' readings and their first `dims` principal directions."""
    V = np.array([r["reading"] for r in rows if r["x"] is not None])
    mean = V.mean(0)
    return mean, np.linalg.svd(V - mean, full_matrices=False)[2][:dims]


def fit_answer(X: np.ndarray, y: np.ndarray, l2: float = ANSWER_L2) -> tuple[np.ndarray, float]:
    """The answer model: a logistic regression on standardised inputs with penalty `l2`, returned
    as weights and bias on the inputs as they are."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    w, b = fit_logistic((X - mu) / sd, y, l2)
    return w / sd, float(b - (w / sd) @ mu)


def tally(rows: list[dict], aw: np.ndarray, ab: float, threshold: float) -> dict:
    t = {"answered_right": 0, "answered_wrong": 0, "refused_right": 0, "refused_wrong": 0}
    for r in rows:
        answer = r["x"] is not None and 1 / (1 + np.exp(-(r["x"] @ aw + ab))) >= threshold
        if answer:
            t["answered_right" if r["right"] else "answered_wrong"] += 1
        else:
            t["refused_right" if r["case"].refuse else "refused_wrong"] += 1
    return t


def utility(t: dict) -> float:
    return t["answered_right"] + t["refused_right"] - WRONG_COST * t["answered_wrong"]


def out_of_fold(X: np.ndarray, right: np.ndarray, folds: int = FOLDS, seeds: int = SEEDS) -> list[np.ndarray]:
    """The answer model's probabilities for each question from a model fitted without it (k-fold),
    for `seeds` draws of the folds."""
    draws = []
    for seed in range(seeds):
        fold = np.random.default_rng(seed).integers(0, folds, len(X))
        p = np.zeros(len(X))
        for k in range(folds):
            fit, held = fold != k, fold == k
            aw, ab = fit_answer(X[fit], right[fit].astype(float))
            p[held] = 1 / (1 + np.exp(-(X[held] @ aw + ab)))
        draws.append(p)
    return draws


def cross_validated(X: np.ndarray, right: np.ndarray, refuse: np.ndarray) -> np.ndarray:
    """Per draw of out-of-fold probabilities: the right answers at <= 15, 25 and 35 wrong ones and
    the best utility over thresholds (answering the most confident first); the means over draws.
    X, right, refuse: one row per question the model can answer (right: answering is right;
    refuse: it is unanswerable)."""
    unanswerable = int(refuse.sum())
    out = []
    for p in out_of_fold(X, right):
        answered = np.argsort(-p, kind="stable")
        rights = np.cumsum(right[answered])
        wrongs = np.cumsum(~right[answered])
        lost = np.cumsum(~right[answered] & refuse[answered])  # unanswerable ones answered
        at = [int(rights[wrongs <= cap].max(initial=0)) for cap in (15, 25, 35)]
        best = max(float(unanswerable), float((rights + unanswerable - lost - WRONG_COST * wrongs).max()))
        out.append([*at, best])
    return np.array(out, dtype=float).mean(0)


def _arrays(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [r for r in rows if r["x"] is not None]
    return (
        np.array([r["x"] for r in rows]),
        np.array([r["right"] for r in rows]),
        np.array([r["case"].refuse for r in rows]),
    )


def choose_keep(
    questions: list[dict], w: np.ndarray, a: float, basis: tuple | None = None
) -> tuple[float, dict[float, np.ndarray]]:
    """keep_ratio by cross-validated utility; among keep ratios within TOLERANCE of the best, the
    highest (the shortest answers)."""
    scores = {keep: cross_validated(*_arrays(outcomes(questions, w, a, keep, basis))) for keep in KEEP_GRID}
    top = max(s[3] for s in scores.values())
    return max(k for k, s in scores.items() if s[3] >= top - TOLERANCE), scores


def choose_threshold(rows: list[dict]) -> tuple[float, dict[float, float]]:
    """answer_threshold by cross-validated utility (out-of-fold probabilities, mean over draws);
    among thresholds within TOLERANCE of the best, the lowest (answer most; a refusal still shows
    the closest passages)."""
    X, right, refuse = _arrays(rows)
    draws = out_of_fold(X, right)
    scores = {}
    for t in THRESHOLDS:
        u = [
            (right & (p >= t)).sum() + (refuse & (p < t)).sum() - WRONG_COST * (~right & (p >= t)).sum() for p in draws
        ]
        scores[t] = float(np.mean(u))
    top = max(scores.values())
    return min(t for t, u in scores.items() if u >= top - TOLERANCE), scores


def reader_spent() -> list[str]:
    """The spent batches the shipped reader learnt from (benchmarks/fit_cross_encoder.py --spent)."""
    from rag.models import cross_encoder as ce

    with np.load(ce.shipped_weights()) as data:
        names = str(data["meta.spent"]) if "meta.spent" in data.files else ""
    return [name for name in names.split(",") if name]


def main() -> None:
    from rag.answer.confidence import ANSWER_FEATURES
    from rag.answer.selector import Model

    ap = argparse.ArgumentParser()
    ap.add_argument("--dry-run", action="store_true", help="print, do not write rag/data/selector.json")
    ap.add_argument("--out", type=Path, default=ROOT / "rag" / "data" / "selector.json", help="where to write it")
    ap.add_argument(
        "--reading",
        action="store_true",
        help="the answer model also weighs the best sentence's reading (tried in session 12, not shipped)",
    )
    ap.add_argument(
        "--spent",
        default=",".join(SPENT),
        help="the spent locked batches to fit on (comma-separated); none the reader has learnt from",
    )
    args = ap.parse_args()
    splits = ROOT / "evals" / "splits"
    spent_names = spent_batches(args.spent)
    read_by_reader = set(reader_spent()) & set(spent_names)
    if read_by_reader:
        sys.exit(f"the reader was trained on {', '.join(sorted(read_by_reader))}: leave them out of --spent")
    train, dev = candidates_for([splits / "train"]), candidates_for([splits / "dev"])
    spent = candidates_for([splits / name for name in spent_names])
    w = fit_ranker(train)
    print("ranker weights:", {k: round(float(v), 3) for k, v in zip(FEATURES, w)})
    # questions the reader never saw: train beyond its banks, and the spent locked batches
    unread = [q for q in train if q["bank"] not in READER_BANKS] + spent
    read(unread, w)
    read(dev, w)
    a = fit_reader_weight(unread, w)
    print(f"reader_weight {a} (fitted on {len(unread)} questions the reader was not trained on)")
    basis = reading_basis(outcomes(unread, w, a, 1.0)) if args.reading else None
    keep, by_keep = choose_keep(unread, w, a, basis)
    print(f"keep_ratio, cross-validated on those {len(unread)}: right at <= 15/25/35 wrong, best utility")
    for k, (r15, r25, r35, u) in by_keep.items():
        print(f"  {k:4}  {r15:6.1f} {r25:6.1f} {r35:6.1f}  {u:7.1f}{'  <- chosen' if k == keep else ''}")
    rows = outcomes(unread, w, a, keep, basis)
    X, right, _ = _arrays(rows)
    aw, ab = fit_answer(X, right.astype(float))
    base = len(ANSWER_FEATURES)
    reading_weights, reading_offset = np.zeros(0), 0.0
    if basis is not None:
        reading_weights = aw[base:] @ basis[1]  # back from the principal directions to the reading
        reading_offset = -float(reading_weights @ basis[0])
    threshold, by_threshold = choose_threshold(rows)
    print("answer_threshold, cross-validated utility:")
    print("  " + "  ".join(f"{t:.3f}:{u:.0f}" for t, u in by_threshold.items() if 0.2 <= t <= 0.85))
    dev_rows = outcomes(dev, w, a, keep, basis)
    print(f"dev (a check, not used) at keep_ratio={keep}, threshold: right/wrong answers, right/wrong refusals")
    for th in np.round(np.arange(0.2, 0.85, 0.05), 2):
        t = tally(dev_rows, aw, ab, float(th))
        counts = (t["answered_right"], t["answered_wrong"], t["refused_right"], t["refused_wrong"])
        print(f"  {th:.2f}  " + " ".join(f"{n:3d}" for n in counts))
    print(f"chosen: keep_ratio={keep} answer_threshold={threshold}")
    print(f"  answer model: {dict(zip(ANSWER_FEATURES, np.round(aw[:base], 3)))} bias {ab:.3f}")
    if basis is not None:
        print(f"  on the reading: |weights| {np.linalg.norm(reading_weights):.3f}, offset {reading_offset:.3f}")
    print(f"  fitted on (in-sample) {tally(rows, aw, ab, threshold)}\n  dev   {tally(dev_rows, aw, ab, threshold)}")
    model = Model(
        {k: round(float(v), 4) for k, v in zip(FEATURES, w)},
        {k: round(float(v), 4) for k, v in zip(ANSWER_FEATURES, aw[:base])},
        round(ab, 4),
        threshold,
        round(threshold / 2, 4),
        keep,
        float(a),
        READER_TOP,
        reading_weights=tuple(round(float(v), 5) for v in reading_weights),
        reading_offset=round(reading_offset, 5),
    ).to_json()
    model["fitted_on"] = (
        "evals/splits/train (ranker weights); reader_weight, answer model, keep_ratio and answer_threshold "
        "(cross-validated) on the questions the reader was not fitted on: train's seeds, corpus and calib, "
        f"and the spent locked batches {', '.join(spent_names)}"
        + ("; the answer model also on the best sentence's reading" if basis is not None else "")
    )
    model["spent"] = spent_names  # tests/test_selector.py checks the reader has read none of them
    if not args.dry_run:
        args.out.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
