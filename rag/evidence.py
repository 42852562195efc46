"""Evidence sentences: the retrieved passages cut into sentences (spans in the article text),
scored against the question, and the decision whether they answer it at all."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.bm25 import lexicon, stem, terms, words
from rag.retrieve import Passage
from rag.sentences import split_sentences

_NUMBER_Q = re.compile(r"\b(price|prices|cost|costs|revenue|salary|worth|preis|kosten|umsatz|how (many|much|far|long|big|large|high)|what (percentage|share|proportion|number|rate|figure)"
                       r"|wie (viel|viele|hoch|weit|lange|groß)|welche[nrs]? (zahl|anteil|effizienz|wirkungsgrad))\b", re.I)
_DATE_Q = re.compile(r"\b(when|what date|which day|what day|in what year|which year|wann|an welchem|welche[nm]? (tag|datum))\b", re.I)
_WHO_Q = re.compile(r"^\s*(who|whom|whose|which person|wer|wen|wem|wessen)\b", re.I)
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve twenty thirty hundred thousand "
                 "million billion half dozen eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf "
                 "zwanzig hundert tausend million milliarde hälfte").split()
_MONTHS = ("january february march april may june july august september october november december januar "
           "februar märz mai juni juli oktober dezember").split()


@dataclass
class Evidence:
    passage: Passage
    start: int
    end: int
    text: str
    coverage: float = 0.0
    similarity: float = 0.0
    score: float = 0.0


def evidence_sentences(passages: list[Passage], article_texts: dict[str, str]) -> list[Evidence]:
    out = []
    for p in passages:
        for s in split_sentences(article_texts[p.article_id], p.start, p.end):
            out.append(Evidence(p, s.start, s.end, s.text))
    return out


def question_words(question: str) -> list[str]:
    return [w for w in words(question) if len(w) > 1]


def _has_number(text: str) -> bool:
    low = text.lower()
    return bool(re.search(r"\d", text)) or any(re.search(rf"\b{w}\b", low) for w in _NUMBER_WORDS)


def _has_date(text: str) -> bool:
    low = text.lower()
    return bool(re.search(r"\b\d{1,2}\.?\b|\b(19|20)\d{2}\b", text)) or any(m in low for m in _MONTHS) or \
        bool(re.search(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
                       r"donnerstag|freitag|samstag|sonntag|yesterday|today|gestern|heute)\b", low))


def _has_new_name(text: str, question: str) -> bool:
    qs = {stem(w) for w in words(question)}
    for m in re.finditer(r"(?<![.!?]\s)(?<!^)\b[A-ZÄÖÜ][\w’'-]+", text):
        if stem(m.group()) not in qs:
            return True
    return False


def answer_type_ok(question: str, text: str) -> bool:
    if _NUMBER_Q.search(question) and not _has_number(text):
        return False
    if _DATE_Q.search(question) and not _has_date(text):
        return False
    if _WHO_Q.search(question) and not _has_new_name(text, question):
        return False
    return True


def question_names(question: str) -> list[set[str]]:
    """The names the question mentions (capitalised words past the first, acronyms), each as the
    set of stems that would match it, translations included."""
    names = []
    for m in re.finditer(r"(?<!^)(?<![.!?]\s)\b[A-ZÄÖÜ][\w’'-]+|\b[A-Z]{2,}\b", question.strip()):
        token = m.group().split("’")[0].split("'")[0]
        if token.lower() in _MONTHS:
            continue
        names.append({stem(token)} | {stem(x) for x in lexicon().get(token.lower(), ())})
    return names


def _mentions_all(names: list[set[str]], text: str) -> bool:
    have = set(terms(text))
    return all(n & have for n in names)


def missing_specifics(question: str, corpus_terms: set[str]) -> list[str]:
    """Names and numbers the question mentions that appear nowhere in the store: nothing there
    can answer a question about them."""
    missing = []
    for m in re.finditer(r"\b\d[\d.,]*\b|(?<!^)(?<![.!?]\s)\b[A-ZÄÖÜ][\w’'-]+", question.strip()):
        token = m.group().rstrip(".,")
        t = stem(token.split("’")[0].split("'")[0])
        alts = {t} | {stem(x) for x in lexicon().get(token.lower(), ())}
        if not alts & corpus_terms:
            missing.append(token)
    return missing


def coverage(question: str, text: str, idf, unseen: float = float("inf")) -> float:
    """Share of the question's (idf-weighted) words found in text, directly or through the lexicon."""
    sentence_terms = set(terms(text))
    lex = lexicon()
    total = found = 0.0
    for w in question_words(question):
        alts = {stem(w)} | {stem(x) for x in lex.get(w, ())}
        seen = [idf(a) for a in alts if idf(a) < unseen]
        if not seen:
            continue  # a word no article uses cannot tell sentences apart (names are checked elsewhere)
        weight = max(seen)
        alts = {a for a in alts if idf(a) < unseen}
        total += weight
        if alts & sentence_terms:
            found += weight
    return found / total if total else 0.0


def score(question: str, evidence: list[Evidence], idf, similarities: list[float] | None) -> list[Evidence]:
    unseen = idf("\x00never-a-term")
    previous: dict[str, str] = {}
    for i, ev in enumerate(evidence):
        # the sentence before supplies what a pronoun refers to ("er" = Trump), at a discount
        context = previous.get(ev.passage.chunk_id, "") + " " + ev.text
        previous[ev.passage.chunk_id] = ev.text
        ev.coverage = max(coverage(question, ev.text, idf, unseen), 0.9 * coverage(question, context, idf, unseen))
        ev.similarity = similarities[i] if similarities else 0.0
        ev.score = 0.65 * ev.coverage + 0.35 * max(ev.similarity, 0.0)
    return sorted(evidence, key=lambda e: (-e.score, e.passage.source, e.start))


def select(question: str, ranked: list[Evidence], min_coverage: float = 0.5, max_sentences: int = 3) -> list[Evidence]:
    """The sentences that answer the question, best first; [] when none does."""
    chosen: list[Evidence] = []
    names = question_names(question)
    for ev in ranked:
        if ev.coverage < min_coverage or not answer_type_ok(question, ev.text):
            continue
        # the passage must be about the names asked for; extra sentences must name them themselves
        if not _mentions_all(names, ev.text if chosen else ev.passage.text):
            continue
        if chosen and ev.score < 0.8 * chosen[0].score:
            break
        mine = set(terms(ev.text))
        if any(len(mine & set(terms(c.text))) / max(1, len(mine | set(terms(c.text)))) > 0.6 for c in chosen):
            continue  # near-duplicate of a sentence already chosen (syndicated copies)
        chosen.append(ev)
        if len(chosen) >= max_sentences:
            break
    return chosen
