"""Sentence spans: llama-index's bundled NLTK punkt (punkt_tab, English and German) against
rag/text/sentences.py, on the seed articles and the evaluation corpus. Reports exactness of spans,
agreement, the cases the project's sentence tests pin down, time per article and the import cost.

    .venv/bin/python benchmarks/punkt_vs_sentences.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PINNED = [  # the behaviours tests/test_chunking.py requires of rag's splitter
    (
        "de",
        "Am 13. Januar sagte Trump etwas. Die U.S. Regierung schwieg. Dr. Smith kam.",
        ["Am 13. Januar sagte Trump etwas.", "Die U.S. Regierung schwieg.", "Dr. Smith kam."],
    ),
    (
        "en",
        "It was bigger than those of the U.S. Other figures were lower.",
        ["It was bigger than those of the U.S.", "Other figures were lower."],
    ),
    (
        "de",
        "Trump sagte: „Wir sind voraus.“ [1] Danach ging er.",
        ["Trump sagte: „Wir sind voraus.“ [1]", "Danach ging er."],
    ),
]


def punkt(lang: str):
    import importlib.util

    spec = importlib.util.find_spec("llama_index.core")
    assert spec and spec.origin
    cache = Path(spec.origin).parent / "_static" / "nltk_cache"
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    nltk.data.path.insert(0, str(cache))
    return PunktTokenizer({"de": "german"}.get(lang, "english"))


def main() -> None:
    from rag.ingest.articles import read_article
    from rag.text.sentences import split_sentences

    files = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "evals" / "corpus").glob("*.txt"))
    arts = [read_article(f, f.parent, 10_000_000) for f in files]
    tok = {"en": punkt("en"), "de": punkt("de")}
    exact = agree = total_p = total_r = 0
    t_p, t_r = [], []
    for a in arts:
        lang = a.language if a.language in tok else "en"
        t = time.perf_counter()
        spans = list(tok[lang].span_tokenize(a.text))
        t_p.append(time.perf_counter() - t)
        t = time.perf_counter()
        mine = split_sentences(a.text)
        t_r.append(time.perf_counter() - t)
        exact += all(a.text[s:e].strip() for s, e in spans)
        theirs = {(s, e) for s, e in spans}
        ours = {(s.start, s.end) for s in mine}
        agree += len(theirs & ours)
        total_p += len(theirs)
        total_r += len(ours)
    print(f"articles: {len(arts)}; punkt sentences {total_p}, rag sentences {total_r}, identical spans {agree}")
    print(f"median per article: punkt {statistics.median(t_p) * 1e3:.2f} ms, rag {statistics.median(t_r) * 1e3:.2f} ms")
    for lang, text, want in PINNED:
        got = [text[s:e] for s, e in tok[lang].span_tokenize(text)]
        print(("same  " if got == want else "DIFF  ") + f"punkt: {got}")
    cmd = [
        sys.executable,
        "-c",
        "import time; t=time.perf_counter(); from nltk.tokenize.punkt import PunktTokenizer; "
        "print(round(time.perf_counter()-t, 3))",
    ]
    ref = [sys.executable, "-c", "pass"]
    imp, base = [], []
    for _ in range(5):
        imp.append(float(subprocess.run(cmd, capture_output=True, text=True).stdout))
        t = time.perf_counter()
        subprocess.run(ref, check=True)
        base.append(time.perf_counter() - t)
    print(f"import nltk punkt: median {statistics.median(imp):.3f} s (python -c pass: {statistics.median(base):.3f} s)")


if __name__ == "__main__":
    main()
