"""Words of English and German text as the indexes and features see them: tokens, accent-folded
prefix stems (which also match many cognates: training/trainiert, models/Modelle), stop words."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STEM = 5
STOP = set(
    """
a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it
its more most no not of on or our she so than that the their them then there these they this those to was
we were what when where which while who whom why will with would you your about after also any before
der die das den dem des ein eine einer eines einem einen und oder aber ist sind war waren wird werden hat haben
nicht mit sich auf für von zu im in am an als auch es er sie wir ihr dass daß bei nach um wie was wer wo noch
nur schon so über unter vor aus diese dieser dieses diesen welche welcher welches welchen welchem wie wann
warum wen wem wessen woher wohin sagen""".split()
)
_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    w = fold(word.lower())
    return w if w[:1].isdigit() else w[:STEM]


def words(text: str) -> list[str]:
    return [w for w in (m.group().lower() for m in _TOKEN.finditer(text)) if w not in STOP]


def terms(text: str) -> list[str]:
    out = []
    for w in words(text):
        out.append(stem(w))
        if "-" in w:  # "Big-Data-Aufgaben" also matches "data"
            out.extend(stem(p) for p in w.split("-") if p and p not in STOP)
    return out


@lru_cache(maxsize=20_000)
def term_set(text: str) -> frozenset[str]:
    """terms(text) as a set, memoised: a warm process scores the same stored sentences and
    passages for question after question."""
    return frozenset(terms(text))


@lru_cache(maxsize=20_000)
def word_stems(text: str) -> tuple[str, ...]:
    """The stems of text's words in order (no hyphen parts), memoised like term_set."""
    return tuple(stem(w) for w in words(text))
