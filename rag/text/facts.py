"""What a question asks for and what a sentence offers: names, numbers, dates and places, in
English and German. A small pattern set of language facts (question words; month and weekday
names and number words come from rag/text/lexicon.py), each with a unit test in tests/test_textfacts.py; nothing here is
tuned to particular questions. The answer selector turns these into features."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

from rag.text.lexicon import MONTHS, NUMBER_WORDS, RELATIVE_DAYS, WEEKDAYS
from rag.text.words import fold

NAME = re.compile(r"\b(?:[A-ZÄÖÜ][\w’'.-]*[\w]|[A-Z]{2,}|[A-Za-z]+\d[\w-]*)")
_NUMBER = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_NUMERIC_DATE = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.(?:\s?\d{2,4})?|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b")
_PLACE = re.compile(r"\b(?:in|at|near|from|to|im|in der|bei|nach|aus)\s+([A-ZÄÖÜ][\w’'-]+)")


class AnswerType(str, Enum):
    name = "name"  # who, which company/person
    date = "date"  # when, which day/year
    number = "number"  # how many/much, what share
    place = "place"  # where, which city/country
    yes_no = "yes_no"
    other = "other"


_TYPE_PATTERNS = [
    (
        AnswerType.date,
        r"^\s*(when|wann|since when|seit wann|bis wann)\b|\b(what|which|welche[nmrs]?|an welchem|"
        r"in welchem|on what|in what)\s+(date|day|year|month|weekday|datum|tag|jahr|monat|wochentag)\b",
    ),
    (
        AnswerType.number,
        r"\b(how (many|much|far|long|big|large|high|tall|deep|old|often)|wie (viele?|hoch|weit|lange|"
        r"groß|alt|oft|stark|schnell)|what (?:(?:is|was|are|were) )?(?:the )?"
        r"(percentage|share|proportion|number|rate|"
        r"figure|amount|price|cost|sum|capacity|revenue|salary|value|valuation)|welche[nrs]? (zahl|"
        r"anteil|summe|höhe|kapazität|leistung)|wie (hoch|teuer) (ist|war|sind|waren))\b",
    ),
    (
        AnswerType.place,
        r"^\s*(where|wo|wohin|woher)\b|\b(which|what|welche[nmrs]?|in welche[nmrs]?)\s+(city|cities|"
        r"country|countries|town|place|region|state|port|stadt|land|ort|region|hafen)\b",
    ),
    (
        AnswerType.name,
        r"^\s*(who|whom|whose|wer|wen|wem|wessen)\b|\b(which|what|welche[nmrs]?)\s+(company|companies|"
        r"firm|firms|person|people|minister|official|executive|carmaker|carmakers|bank|outlet|"
        r"newspaper|portal|agency|union|group|organisation|organization|foundation|"
        r"unternehmen|firma|person|minister|zeitung|portal|agentur|gewerkschaft|bank|stiftung)\b",
    ),
    (
        AnswerType.yes_no,
        r"^\s*(is|are|was|were|has|have|had|did|does|do|can|could|will|would|ist|sind|war|waren|hat|"
        r"haben|hatte|wurde|wurden|gibt|gab|kann|wird)\b",
    ),
]
_TYPE_RES = [(t, re.compile(p, re.I)) for t, p in _TYPE_PATTERNS]


def answer_type(question: str) -> AnswerType:
    for kind, pattern in _TYPE_RES:
        if pattern.search(question):
            return kind
    return AnswerType.other


def _fold(word: str) -> str:
    return word.lower().replace("’", "'").split("'")[0].rstrip(".")


def names(text: str) -> list[str]:
    """Capitalised words that do not start a sentence, acronyms and letter-digit names (H20,
    SkyNet-1), lower-cased, without possessive endings; months and weekdays excluded."""
    out = []
    for m in NAME.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or before[-1] in '.!?:"“„»(' and not m.group().isupper():
            continue  # a capital at a sentence start says nothing
        w = _fold(m.group())
        if w and w not in MONTHS and w not in WEEKDAYS:
            out.append(w)
    return out


_CAPITALISED = re.compile(r"(?<![.!?:„“\"]\s)(?<!^)\b[A-ZÄÖÜ][\w’'-]*[A-Za-z]|\b[A-Z]{2,}\b", re.M)
_NOT_NAMES = {"the", "a", "an", "this", "that", "it", "in", "on", "der", "die", "das", "es", "sie", "er"}


def capitalised(text: str) -> Iterator[str]:
    """Capitalised words past a sentence start and acronyms, lower-case and folded, without a
    possessive ending (Musk's -> musk): the names stories compare. Unlike `names` (what answers
    are scored on), dotted and letter-digit forms are not read as one name: the story parameters
    were fitted on this form."""
    for _, w in capitalised_as_written(text):
        yield w


def capitalised_as_written(text: str) -> Iterator[tuple[str, str]]:
    """`capitalised`, each word also as the text writes it: (Musk, musk)."""
    for m in _CAPITALISED.finditer(text):
        written = m.group().split("’")[0].split("'")[0]
        w = fold(written.lower())
        if w not in _NOT_NAMES and w not in MONTHS and w not in WEEKDAYS:
            yield written, w


def _any_word(words) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b")


_NUMBER_WORD = _any_word(NUMBER_WORDS)
_DATE_WORD = _any_word(w for w in (*MONTHS, *WEEKDAYS, *RELATIVE_DAYS) if len(w) > 2)


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text) or _NUMBER_WORD.search(text.lower()))


def has_date(text: str) -> bool:
    return bool(_YEAR.search(text) or _NUMERIC_DATE.search(text) or _DATE_WORD.search(text.lower()))


def places(text: str) -> list[str]:
    return [_fold(m.group(1)) for m in _PLACE.finditer(text)]


def offers(kind: AnswerType, text: str, question_terms: set[str]) -> float:
    """1.0 when text holds something of the asked type that the question does not already
    contain, 0.0 when it does not; 0.5 for question types with no checkable answer."""
    if kind is AnswerType.number:
        return float(has_number(text))
    if kind is AnswerType.date:
        return float(has_date(text))
    if kind is AnswerType.name:
        return float(any(n[:5] not in question_terms for n in names(text)))
    if kind is AnswerType.place:
        return float(any(p[:5] not in question_terms for p in places(text)))
    return 0.5
