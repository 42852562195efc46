"""Verification of an answer text against the passages it was given, for every engine:
citation markers resolved (unknown ones stripped), every sentence cited and supported by the text
it cites (its names and numbers appear there), and a verbatim quote chosen for each citation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answer.citations import MARKERS, Numbering
from rag.answer.result import CANNOT_ANSWER
from rag.spans import Citation, Passage, Sentence
from rag.text.dictionary import translations
from rag.text.facts import NAME
from rag.text.sentences import split_sentences
from rag.text.words import fold, stem, terms

_NUM = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass
class Verified:
    ok: bool
    text: str  # markers renumbered by first appearance, unknown ones stripped
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def is_refusal(text: str) -> bool:
    norm = re.sub(r"[\s’']+", " ", text.strip().lower())
    return norm.startswith(re.sub(r"[\s’']+", " ", CANNOT_ANSWER.lower()).rstrip("."))


def _norm(text: str) -> str:
    return fold(text.lower()).replace("’", "'")


def unsupported(sentence: str, cited_text: str) -> list[str]:
    """Names and numbers in sentence that the cited text does not contain."""
    hay = _norm(cited_text)
    hay_digits = re.sub(r"[^\d]+", " ", cited_text)
    missing = []
    for num in _NUM.findall(sentence):
        if not re.search(rf"(?<!\d){re.escape(re.sub(r'[.,]', ' ', num).split()[0])}(?!\d)", hay_digits):
            missing.append(num)
    for url in re.findall(r"https?://\S+|www\.\S+", sentence):
        if url.rstrip(".,)") not in cited_text:
            missing.append(url)  # a link only the model (or a hostile text) supplies
    if re.search(r"!\[[^\]]*\]\(", sentence):
        missing.append("markdown image")
    first = True
    for m in NAME.finditer(sentence):
        word = m.group().split("’")[0].split("'")[0]
        at_start = first and sentence[: m.start()].strip() == ""
        first = False
        if at_start and word.lower() in _COMMON_STARTS:
            continue
        alts = [word, word.replace(".", ""), *translations(word)]  # U.S. is also written US
        if not any(_norm(a) in hay for a in alts):
            if at_start and stem(word) in set(terms(cited_text)):
                continue
            missing.append(word)
    return missing


_COMMON_STARTS = set(
    "the a an this that these those it its they he she we in on at according however but and "
    "while during after before since despite der die das ein eine es sie er am im laut".split()
)


def best_quote(sentence: str, passage: Passage, article_text: str) -> tuple[int, int]:
    mine = set(terms(sentence))
    best, best_score = None, -1.0
    for s in split_sentences(article_text, passage.start, passage.end):
        theirs = set(terms(s.text))
        overlap = len(mine & theirs) / (len(mine) or 1)
        if overlap > best_score:
            best, best_score = (s.start, s.end), overlap
    return best or (passage.start, passage.end)


def _with_trailing_markers(sentences, text):
    """`He said „X.“ [1]` splits after the quote; the marker belongs to the sentence before it."""
    out: list[Sentence] = []
    for s in sentences:
        if out and not re.search(r"\w", MARKERS.sub("", s.text)):
            prev = out[-1]
            out[-1] = type(prev)(prev.start, s.end, text[prev.start : s.end])
        else:
            out.append(s)
    return out


def verify(answer: str, passages: list[Passage], article_texts: dict[str, str]) -> Verified:
    text = answer.strip()
    if not text:
        return Verified(False, "", False, problems=["empty answer"])
    if is_refusal(text):
        return Verified(True, CANNOT_ANSWER, True)
    problems: list[str] = []
    numbering = Numbering()  # passages by first citation
    out_sentences: list[str] = []
    citations: list[Citation] = []
    for sent in _with_trailing_markers(split_sentences(text), text):
        cited: list[int] = []

        def repl(m: re.Match) -> str:
            keep = []
            for raw in m.group(1).split(","):
                k = int(raw)
                if 1 <= k <= len(passages):
                    keep.append(k)
                    cited.append(k)  # noqa: B023 (repl runs inside MARKERS.sub, within this iteration)
                else:
                    problems.append(f"unknown citation [{k}] removed")
            return "".join(f" [{numbering.number(k)}]" for k in keep)

        body = MARKERS.sub(repl, sent.text).strip()
        plain = MARKERS.sub("", sent.text).strip()
        if not cited:
            if not re.search(r"\w", plain):
                continue
            problems.append(f"no citation: {plain[:80]!r}")
            out_sentences.append(body)
            continue
        cited_text = " ".join(passages[k - 1].text for k in cited)
        gaps = unsupported(plain, cited_text)
        if gaps:
            problems.append(f"not in the cited text: {', '.join(gaps)} ({plain[:60]!r})")
        for k in cited:
            p = passages[k - 1]
            art = article_texts[p.article_id]
            start, end = best_quote(plain, p, art)
            n = numbering.number(k)
            if not any(c.n == n and c.start == start for c in citations):
                citations.append(
                    Citation(
                        start,
                        end,
                        art[start:end],
                        n=n,
                        article_id=p.article_id,
                        source=p.source,
                        title=p.title,
                        chunk_id=p.chunk_id,
                    )
                )
        out_sentences.append(body)
    final = " ".join(out_sentences).strip()
    if not citations:
        problems.append("no citations")
    citations.sort(key=lambda c: (c.n, c.start))
    return Verified(not problems, final, False, citations, problems)
