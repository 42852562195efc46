"""Comparing English and German text without a translation model: a word-by-word English gloss
through a general dictionary (rag/text/dictionary.py) (good enough for MiniLM to place a German lede
near its English twin), and normalised 'facts' (names, numbers, dates) that read the same in both
languages."""

from __future__ import annotations

import re
import unicodedata

from rag.text.dictionary import default as dictionary
from rag.text.lexicon import MONTHS, NUMBER_WORDS, WEEKDAYS
from rag.text.words import STOP, fold, stem, terms

_COMMON_NAMES = {"the", "a", "an", "this", "that", "it", "in", "on", "der", "die", "das", "es", "sie", "er"}


def gloss(text: str) -> str:
    """German words replaced by their first English sense in the dictionary, where it has one.
    Function words stay (a first sense of "in" or "würde" is noise), and so do capitalised words
    English also has: names such as China or Tesla read the same in both languages."""
    d = dictionary()

    def rep(m: re.Match) -> str:
        w = m.group()
        low = w.lower()
        if low in STOP or (w[:1].isupper() and d.knows(low, "en")):
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
        if month in MONTHS:
            out.add(f"date:{MONTHS[month]}-{int(day)}")
    for m in re.finditer(r"\d+(?:[.,]\d+)*\s*%?", low):
        raw = m.group().replace(" ", "")
        pct = raw.endswith("%")
        digits = raw.rstrip("%")
        # 1,200 / 1.200 are thousands; 24,5 / 24.5 are decimals
        digits = re.sub(r"[.,](?=\d{3}(?:\D|$))", "", digits).replace(",", ".")
        out.add(("pct:" if pct else "num:") + digits.rstrip("."))
    for w in re.findall(r"[a-zäöüß]+", low):
        if NUMBER_WORDS.get(w):
            out.add(f"num:{NUMBER_WORDS[w]}")
    return out


def names(text: str) -> set[str]:
    """Capitalised words past a sentence start and acronyms, folded (Musks -> musk)."""
    found = set()
    for m in re.finditer(r"(?<![.!?:„“\"]\s)(?<!^)\b[A-ZÄÖÜ][\w’'-]*[A-Za-z]|\b[A-Z]{2,}\b", text, re.M):
        w = fold(m.group().split("’")[0].split("'")[0].lower())
        if w not in _COMMON_NAMES and w not in MONTHS and w not in WEEKDAYS:
            found.add(stem(w))
    return found


def facts(text: str) -> set[str]:
    return names(text) | numbers(text)


def in_english(text: str, lang: str) -> str:
    """German text glossed to English (what MiniLM reads); other text as it is."""
    return gloss(text) if lang == "de" else text
