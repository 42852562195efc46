"""Would a new input help the answer model? Cross-validated on the train questions the reader never saw.

The answer model (rag/answer/selector.py) decides whether the best-ranked sentence answers the
question; measured in session 10, it is the engine's bottleneck (the right sentence ranked first but
refused for 144 of 506 answerable unread questions). This script compares candidate inputs by 5-fold
cross-validation on unread train (seeds, corpus, calib: 579 questions), repeated over 5 fold seeds,
with the shipped ranker, reader and keep_ratio held fixed: right answers at ≤ 15 / 25 / 35 wrong
ones, and the best utility over thresholds (right + unanswerable refused − 3 × wrong, as in
benchmarks/fit_selector.py). Dev and test are not read. Since session 12 the answer model is fitted
as fit_selector fits it (inputs standardised, L2 penalty ANSWER_L2), so figures from before are not
comparable with a rerun.

Session 11's screen, when the shipped inputs were seven; the question's kind, the reader's raw
score and margin and an agreement count are shipped since session 14 (rag/answer/confidence.py).
Candidates left (each added to the shipped inputs):
- agree_share: agreement across outlets weighted by score, the softmax share of the read sentences
  from *other* articles that carry one of the winner's answer tokens (a figure, or a capitalised
  word the question lacks);
- near: the answer anchored to what is asked, the share of the question's non-name content words
  within WINDOW words of a token of the asked-for kind (a figure for "how many", a date for
  "when", a capitalised word for "who"/"where"), or in the sentence for other questions.

    .venv/bin/python benchmarks/answer_model_cv.py      # ~5 min (candidates, then the reader)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fit_selector as fs  # noqa: E402

from rag.answer.confidence import ANSWER_FEATURES  # noqa: E402
from rag.answer.evidence import FEATURES  # noqa: E402
from rag.answer.selector import Model  # noqa: E402
from rag.text.facts import MONTHS, WEEKDAYS, AnswerType, answer_type  # noqa: E402
from rag.text.words import stem, terms  # noqa: E402

WINDOW = 5
_FIGURE = re.compile(r"\d[\d.,]*\d|\d")
_CAPITAL = re.compile(r"\b[A-ZÄÖÜ][\w-]+")
_TOKEN = re.compile(r"[\w’'.,%$€-]*\w|[$€%]")
_DATE_WORDS = {w.lower() for w in (*MONTHS, *WEEKDAYS)}


def answer_tokens(text: str, asked: set[str]) -> set[str]:
    first = text.split()[0].strip("\"'“„") if text.split() else ""
    figures = {n.replace(",", "").replace(".", "") for n in _FIGURE.findall(text)}
    capitals = {t.lower() for t in _CAPITAL.findall(text) if t != first}
    return (figures | capitals) - asked


def asked_words(question_en: str) -> list[str]:
    """The question's content words that are not names (capitalised after the first word)."""
    tokens = re.findall(r"[\w’'-]+", question_en)
    content = set(terms(question_en))
    return list(
        dict.fromkeys(
            stem(t.lower())
            for i, t in enumerate(tokens)
            if stem(t.lower()) in content and (i == 0 or not t[0].isupper())
        )
    )


def near(kind: AnswerType, text: str, asked: list[str]) -> float:
    if not asked:
        return 0.0
    tokens = _TOKEN.findall(text)
    stems = [stem(t.lower().strip(".,")) for t in tokens]
    if kind in (AnswerType.other, AnswerType.yes_no):
        return sum(a in set(stems) for a in asked) / len(asked)
    anchors = []
    for i, t in enumerate(tokens):
        year = bool(re.fullmatch(r"(19|20)\d\d", t))
        if kind == AnswerType.number and re.search(r"\d", t) and not year:
            anchors.append(i)
        elif kind == AnswerType.date and (year or t.lower() in _DATE_WORDS or re.search(r"\d", t)):
            anchors.append(i)
        elif kind in (AnswerType.name, AnswerType.place) and i > 0 and t[0].isupper() and stems[i] not in asked:
            anchors.append(i)
    return max(
        (sum(a in set(stems[max(0, i - WINDOW) : i + WINDOW + 1]) for a in asked) / len(asked) for i in anchors),
        default=0.0,
    )


def rows(questions: list[dict], model: Model, w: np.ndarray) -> list[tuple[dict, bool, bool] | None]:
    """fit_selector's outcomes at the shipped settings, each with the candidate inputs added."""
    out: list[tuple[dict, bool, bool] | None] = []
    for o in fs.outcomes(questions, w, model.reader_weight, model.keep_ratio):
        if o["x"] is None:
            out.append(None)
            continue
        q, order = o["question"], o["order"]
        ranked = [int(q["rtop"][i]) for i in order]
        best = ranked[0]
        f = dict(zip(ANSWER_FEATURES, o["x"]))
        share = np.exp(o["scores"] - o["scores"][0])
        share /= share.sum()
        asked = set(terms(q["question_en"])) | {t.lower() for t in re.findall(r"\w+", q["question_en"])}
        mine = answer_tokens(q["texts_en"][best], asked)
        f["agree_share"] = float(
            sum(
                sh
                for sh, i in zip(share[1:], ranked[1:])
                if q["articles"][i] != q["articles"][best] and mine & answer_tokens(q["texts_en"][i], asked)
            )
        )
        f["near"] = near(answer_type(q["case"].question), q["texts_en"][best], asked_words(q["question_en"]))
        out.append((f, o["right"], o["case"].refuse))
    return out


def cross_validate(data: list, keys: list[str]) -> np.ndarray:
    rows = [r for r in data if r]
    X = np.array([[f[k] for k in keys] for f, _, _ in rows])
    return fs.cross_validated(X, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))


def main() -> None:
    model = Model.from_json(json.loads((fs.ROOT / "rag" / "data" / "selector.json").read_text(encoding="utf-8")))
    w = np.array([model.weights[k] for k in FEATURES])
    train = fs.candidates_for([fs.ROOT / "evals" / "splits" / "train"])
    unread = [q for q in train if q["bank"] not in fs.READER_BANKS]
    fs.read(unread, w)
    data = rows(unread, model, w)
    labelled = [(f, y) for f, y, _ in (r for r in data if r)]
    base = list(ANSWER_FEATURES)
    print(f"{len(unread)} unread train questions; winner right {sum(y for _, y in labelled)} of {len(labelled)} read")
    for k in ("agree_share", "near"):
        x = np.array([f[k] for f, _ in labelled])
        y = np.array([y for _, y in labelled])
        print(f"  {k}: mean {x[y].mean():.3f} when the winner is right, {x[~y].mean():.3f} when wrong")
    print("inputs                right at wrong <= 15 / 25 / 35   best utility   (5-fold CV, mean of 5 seeds)")
    for name, extra in [
        ("shipped", []),
        ("+ agree_share", ["agree_share"]),
        ("+ near", ["near"]),
        ("+ both", ["agree_share", "near"]),
    ]:
        r15, r25, r35, u = cross_validate(data, base + extra)
        print(f"  {name:18s}  {r15:6.1f} {r25:6.1f} {r35:6.1f}   {u:8.1f}")


if __name__ == "__main__":
    main()
