"""Comparing English and German text without a translation model: a word-by-word English gloss
through a general dictionary (rag/text/dictionary.py) (good enough for MiniLM to place a German lede
near its English twin), and normalised 'facts' (names, numbers, dates) that read the same in both
languages."""

from __future__ import annotations

import re
import unicodedata

from rag.retrieval.bm25 import _fold, stem, terms
from rag.text.dictionary import default as dictionary
from rag.text.facts import WEEKDAYS

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "eighteen": 18, "twenty": 20, "thirty": 30, "hundred": 100,
    "eins": 1, "ein": None, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "achtzehn": 18, "zwanzig": 20, "dreißig": 30, "hundert": 100,
}
_MONTHS = {m: i for i, names in enumerate([
    ("january", "januar", "jan"), ("february", "februar", "feb"), ("march", "märz", "maerz"), ("april", "apr"),
    ("may", "mai"), ("june", "juni", "jun"), ("july", "juli", "jul"), ("august", "aug"),
    ("september", "sept", "sep"), ("october", "oktober", "oct", "okt"), ("november", "nov"),
    ("december", "dezember", "dec", "dez")], 1) for m in names}
_COMMON_NAMES = {"the", "a", "an", "this", "that", "it", "in", "on", "der", "die", "das", "es", "sie", "er"}


def gloss(text: str) -> str:
    """German words replaced by their first English sense in the dictionary, where it has one.
    Function words stay (a first sense of "in" or "würde" is noise), and so do capitalised words
    English also has: names such as China or Tesla read the same in both languages."""
    from rag.retrieval.bm25 import _STOP

    d = dictionary()

    def rep(m: re.Match) -> str:
        w = m.group()
        low = w.lower()
        if low in _STOP or (w[:1].isupper() and d.knows(low, "en")):
            return w
        alts = [x for x in d.translate(low, "de") if x.isascii()]
        return alts[0] if alts else w

    return re.sub(r"[^\W\d_]+", rep, text)


def canonical_terms(text: str, language: str) -> set[str]:
    return set(terms(gloss(text) if language == "de" else text))


def numbers(text: str) -> set[str]:
    """Numbers as written or spelled out, percentages and day-month dates normalised."""
    low = unicodedata.normalize("NFKC", text.lower())
    out: set[str] = set()
    pairs = [(m.group(1), m.group(2)) for m in re.finditer(r"\b(\d{1,2})\.?\s+([a-zäöü]+)", low)]
    pairs += [(m.group(2), m.group(1)) for m in re.finditer(r"\b([a-zäöü]+)\s+(\d{1,2})\b", low)]
    for day, month in pairs:  # "13. Januar" and "January 13" are the same date
        if month in _MONTHS:
            out.add(f"date:{_MONTHS[month]}-{int(day)}")
    for m in re.finditer(r"\d+(?:[.,]\d+)*\s*%?", low):
        raw = m.group().replace(" ", "")
        pct = raw.endswith("%")
        digits = raw.rstrip("%")
        # 1,200 / 1.200 are thousands; 24,5 / 24.5 are decimals
        digits = re.sub(r"[.,](?=\d{3}(?:\D|$))", "", digits).replace(",", ".")
        out.add(("pct:" if pct else "num:") + digits.rstrip("."))
    for w in re.findall(r"[a-zäöüß]+", low):
        if _NUMBER_WORDS.get(w):
            out.add(f"num:{_NUMBER_WORDS[w]}")
    return out


def names(text: str) -> set[str]:
    """Capitalised words past a sentence start and acronyms, folded (Musks -> musk)."""
    found = set()
    for m in re.finditer(r"(?<![.!?:„“\"]\s)(?<!^)\b[A-ZÄÖÜ][\w’'-]*[A-Za-z]|\b[A-Z]{2,}\b", text, re.M):
        w = _fold(m.group().split("’")[0].split("'")[0].lower())
        if w not in _COMMON_NAMES and w not in _MONTHS and w not in WEEKDAYS:
            found.add(stem(w))
    return found


def facts(text: str) -> set[str]:
    return names(text) | numbers(text)
