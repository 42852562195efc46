"""Sentence splitting that keeps character spans into the original text, so every quote we show
is an exact substring of the article."""

from __future__ import annotations

import re

from rag.spans import Sentence
from rag.text.lexicon import MONTH_ABBREVIATIONS, MONTH_NAMES

# Words after which a period does not end a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "etc",
    "no",
    *MONTH_ABBREVIATIONS,
    "z.b",
    "bzw",
    "ca",
    "vgl",
    "usw",
    "dt",
    "nr",
    "abs",
    "hr",
    "fr",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "u.a",
}
# a sentence end, with closing quotes and any citation markers that follow it ("… voraus.“ [1]")
_END = re.compile(r"[.!?…]+[\"'”’»“)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(?=\s)|[.!?…]+[\"'”’»“)]*(?:\s*\[\d+\])*$")
_SENTENCE_STARTS = set(
    "The This That These Those It Its In But However Other Others A An And As He She They We "
    "While According Despite During After Before Since Meanwhile".split()
)
# a dateline at the start of a line up to an abbreviated state or region: "PALO ALTO, Calif."
_DATELINE_HEAD = re.compile(r"[A-ZÄÖÜ][A-ZÄÖÜ .'/-]+, [A-Z][a-z]{1,5}\.")
_ORDINAL_DATE = re.compile(r"\b\d{1,2}\.$")
_NEXT_MONTH = re.compile(r"\s+(?:" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def _is_false_end(text: str, cut: int, next_pos: int) -> bool:
    before = text[max(0, cut - 12) : cut]
    word = re.split(r"\s", before)[-1].rstrip(".").lower()
    if word in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", word):
        nxt_word = re.match(r"[A-Za-z]+", text[next_pos:])
        if "." in word and nxt_word and nxt_word.group() in _SENTENCE_STARTS:
            return False  # "... those of the U.S. Other figures ..." does end there
        return True  # "U.S.", "Mr.", single initials
    if _ORDINAL_DATE.search(before) and _NEXT_MONTH.match(text, cut):
        return True  # German dates: "13. Januar"
    nxt = text[next_pos : next_pos + 1]
    if nxt in ("—", "–", "-") and _DATELINE_HEAD.fullmatch(text[:cut]):
        return True  # "PALO ALTO, Calif. — Apple said ...": a dateline's state, not a sentence
    return bool(nxt) and nxt.islower()


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Sentence]:
    """Sentences of text[start:end]; lines are never joined (a line break ends a sentence)."""
    end = len(text) if end is None else end
    out: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        line_text = line.group()
        pos = 0
        quoted = _quoted_regions(line_text)
        for m in _END.finditer(line_text):
            cut = m.end()
            if any(a < m.start() and m.end() < b for a, b in quoted):
                continue  # „Die KI ist unglaublich. Wir sind voraus.“ is one quotation
            nxt = cut
            while nxt < len(line_text) and line_text[nxt].isspace():
                nxt += 1
            if nxt < len(line_text) and _is_false_end(line_text, m.start() + 1, nxt):
                continue
            _add(out, text, line_start + pos, line_start + cut)
            pos = cut
        _add(out, text, line_start + pos, line_start + len(line_text))
    return out


def _quoted_regions(line: str, limit: int = 400) -> list[tuple[int, int]]:
    """Spans inside quotation marks: „…“ (German) or “…” (English); unbalanced or overlong ones
    are ignored so a stray mark cannot swallow a paragraph."""
    regions = []
    for m in re.finditer(rf"„[^„“”]{{1,{limit}}}?“|“[^„“”]{{1,{limit}}}?”", line):
        regions.append((m.start(), m.end() - 1))
    return regions


def _add(out: list[Sentence], text: str, s: int, e: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s and any(ch.isalnum() for ch in text[s:e]):
        out.append(Sentence(s, e, text[s:e]))
