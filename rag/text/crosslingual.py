"""Comparing English and German text through a general dictionary (rag/text/dictionary.py), and
normalised 'facts' (names, numbers, dates) that read the same in both languages. Where the local
model has translated a German sentence at ingest (rag/models/translator.py), `in_english` reads
that instead; otherwise two dictionary readings of German, each fitted with the model that uses it:
- `english()`: a readable word-by-word English (headword senses, function words, inflections,
  compounds through their parts, names kept); story grouping was fitted on it;
- `gloss()`: each word's first English sense, function words left German; the answer selector
  (rag/answer/selector.py) reads it for German questions and for sentences without a translation.
  Measured 2026-11-30: refitting the selector on `english()` answered more (dev 27 vs 19 right)
  but wrongly more often (17 vs 7), a worse dev objective; the model's translations did better."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from functools import lru_cache

from rag.text.dictionary import default as dictionary
from rag.text.facts import capitalised
from rag.text.lexicon import GERMAN_FUNCTION_WORDS, MONTHS, NUMBER_WORDS, language_of
from rag.text.words import STOP, fold, stem, terms


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


_ENDINGS = ("ern", "en", "er", "es", "em", "e", "s", "n")  # inflection: Berechnungen, sächsischen, Landkreises
# a capitalised word loses only a plural or genitive ending: -er also ends names (Reimer, Becker)
_NOUN_ENDINGS = ("ern", "en", "es", "e", "s", "n")
_LINKS = ("", "s", "es", "n", "en", "e")  # what joins the parts of a compound (Rechenzentrum-s-betreiber)
_LONG_NAME = 12  # a capitalised word this long is a compound more often than a name (Elbhausen, Isarbank)


def inflected(word: str, d=None, endings: tuple[str, ...] = _ENDINGS) -> str | None:
    """The English of a lower-case German word, or of its stem once a common inflection ending is
    removed (Berechnungen -> Berechnung, sächsischen -> sächsisch)."""
    d = d or dictionary()
    found = d.gloss_phrase(word)
    if found is not None:
        return found
    for end in endings:
        if word.endswith(end) and len(word) - len(end) >= 3:
            found = d.gloss_phrase(word[: -len(end)])
            if found is not None:
                return found
    return None


def compound(word: str, d=None) -> str | None:
    """The English of a lower-case German compound the dictionary does not list, read from the
    parts it does know: the longest known head (German compounds end in their head) after a
    modifier that is known or itself a compound, with or without a linking -s-/-n-/-es-/-en-/-e-
    (Rechenzentrumsbetreiber -> Rechenzentrum + s + Betreiber -> "computing centre operator")."""
    return _compound(word, d or dictionary())


@lru_cache(maxsize=20_000)
def _compound(word: str, d) -> str | None:
    for i in range(3, len(word) - 3):
        head = inflected(word[i:], d)
        if head is None:
            continue
        left = word[:i]
        for link in _LINKS:
            stem_ = left[: len(left) - len(link)] if link else left
            if not left.endswith(link) or len(stem_) < 3:
                continue
            modifier = inflected(stem_, d) or _compound(stem_, d)
            if modifier:
                return f"{modifier} {head}"
    return None


def english(text: str, d=None, keep: AbstractSet[str] = frozenset()) -> str:
    """German text read word by word in English, for comparing it with English text (story ledes
    and facts): function words by their English counterparts, other words by the dictionary's
    headword sense (`gloss_phrase`, spelt as the dictionary spells it: München -> Munich, Strom ->
    electricity), inflected forms through their stem, compounds the dictionary lacks through their
    parts. Names stay: a capitalised word loses no -er ending and is split only when long (Reimer,
    Elbhausen are not read as "rhyme", "elf belugas"). Capitalised German nouns that the dictionary
    knows become lower-case English, so they are not names, unless English text writes them as
    names (`keep`: name_words of English reports; Nordwind the company, not "north wind")."""
    d = d or dictionary()

    def word(w: str, starts: bool) -> str:
        if "-" in w:
            return "-".join(word(p, starts) if p else p for p in w.split("-"))
        low = w.lower()
        capital = w[:1].isupper()
        if capital and fold(low) in keep:
            return w
        if low in GERMAN_FUNCTION_WORDS:  # capitalised at a sentence start only ("Unter- und Mittelelbe": under)
            out = GERMAN_FUNCTION_WORDS[low]
            return out[:1].upper() + out[1:] if capital and starts else out
        found = d.gloss_phrase(low)
        if found is None:
            found = inflected(low, d, _NOUN_ENDINGS if capital else _ENDINGS)
        if found is None and len(low) >= (_LONG_NAME if capital else 7):
            found = compound(low, d)
        return w if found is None else found

    def at(m: re.Match) -> str:
        i = m.start() - 1
        while i >= 0 and text[i].isspace():
            i -= 1
        return word(m.group(), i < 0 or text[i] in '.!?:„“"»«')

    return re.sub(r"[^\W\d_]+(?:-[^\W\d_]+)*", at, text)


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
    """Capitalised words past a sentence start and acronyms, folded and stemmed (Musks -> musk)."""
    return {stem(w) for w in capitalised(text)}


def name_words(text: str) -> set[str]:
    """The words of the names of an English text (lower-case, folded; Nordwind Energie-AG ->
    nordwind, energie, ag): English capitalises names only, so a German word written so in an
    English report is a name there too (Nordwind, Fischer), not the noun the dictionary knows."""
    return {part for w in capitalised(text) for part in w.split("-") if part}


def facts(text: str) -> set[str]:
    return names(text) | numbers(text)


def usable(english: str, german: str) -> bool:
    """A model's translation can stand for the sentence: English, not the German copied back (most
    of its words the source's own; names and figures alone are shared by a real translation)."""
    out = re.findall(r"[^\W\d_]+", english.lower())
    if not out:
        return False
    source = set(re.findall(r"[^\W\d_]+", german.lower()))
    return sum(w in source for w in out) / len(out) <= 0.6 and language_of(english) == "en"


def in_english(text: str, lang: str, known: Mapping[str, str] | None = None) -> str:
    """What MiniLM reads for a text: German sentence by sentence in the model's translation when
    `known` (sentence -> English, rag/models/translator.py) has a usable one, else glossed; other
    languages as they are."""
    if lang != "de":
        return text
    if not known:
        return gloss(text)
    from rag.text.sentences import split_sentences

    parts = split_sentences(text)
    if not parts:
        return gloss(text)
    out = []
    for s in parts:
        english = known.get(s.text)
        out.append(english if english is not None and usable(english, s.text) else gloss(s.text))
    return " ".join(out)
