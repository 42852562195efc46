"""Evidence sentences: the retrieved passages cut into sentences (spans in the article text),
scored against the question, and the decision whether they answer it at all."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.bm25 import _fold, lexicon, stem, terms, words
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
    context: str = ""  # the sentence before it in the passage, and itself
    coverage: float = 0.0
    similarity: float = 0.0
    score: float = 0.0


def evidence_sentences(passages: list[Passage], article_texts: dict[str, str]) -> list[Evidence]:
    out = []
    for p in passages:
        for s in split_sentences(article_texts[p.article_id], p.start, p.end):
            out.append(Evidence(p, s.start, s.end, s.text))
    return out


# Words about how an article refers to something, not what it says.
_FRAMING = set("named called cited mentioned described according reportedly quoted genannt laut zitiert".split())


_YES_NO = re.compile(r"^\s*(is|are|was|were|has|have|had|did|does|do|can|will|ist|sind|war|waren|hat|haben|"
                     r"wurde|wurden|gibt)\b", re.I)


def question_words(question: str) -> list[str]:
    # in "Was the supplier named?" the framing word is what is asked; in "Who is named …?" it is not
    framing = set() if _YES_NO.match(question) else _FRAMING
    return [w for w in words(question) if len(w) > 1 and w not in framing]


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


_GENERIC_TYPES = set("company companies firm firms person people man woman city cities country countries place "
                     "organisation organization unternehmen firma person stadt land ort".split())
_FOCUS_STOP = set("did does do is are was were has have had can could will would should say said a an the "
                  "besides of in on at for from with by to like as about than außer von mit für bei in an "
                  "hat haben ist sind war waren wird werden kann der die das den dem des ein eine".split())
_WHICH = re.compile(r"^\s*(?:\w+\s+)?(?:which|what|welche[rsnm]?|was für)\s+(.*)$", re.I)


def focus(question: str) -> tuple[list[str], bool]:
    """For 'which X ...' questions: the words of X, and whether X is a generic type (company,
    city, ...) whose answer must be a name the question does not contain."""
    m = _WHICH.match(question)
    if not m:
        return [], False
    out, generic = [], False
    for w in re.findall(r"[\w’'-]+", m.group(1))[:3]:
        if w.lower() in _FOCUS_STOP:
            break
        if w.lower() in _GENERIC_TYPES:
            generic = True
        elif w[:1].islower():
            out.append(w.lower())
    return out, generic


_DATE_TYPES = set("date day days year month time weekday datum tag jahr monat zeitpunkt wochentag".split())


def focus_ok(question: str, text: str) -> bool:
    head, generic = focus(question)
    m = _WHICH.match(question)
    if m and m.group(1).split()[0].lower() in _PLACE_TYPES and not _has_new_place(text, question):
        return False
    if any(w in _DATE_TYPES for w in head):  # "on what date/day": the answer is a date, not the word
        if not _has_date(text):
            return False
        head = [w for w in head if w not in _DATE_TYPES]
    if generic and not _has_new_name(text, question):
        return False
    if not head:
        return True
    low = _fold(text.lower())
    # substring match: "factory" is in "Gigafactory", "portal" in "Nachrichtenportal"
    return any(any(_fold(v.rstrip("s"))[:7] in low for v in [w, *lexicon().get(w, ())]) for w in head)


def numbers_ok(question: str, text: str) -> bool:
    have = set(re.findall(r"\d+", text))
    return all(n in have for n in re.findall(r"\d+", question))


_PLACE_TYPES = set("city cities country countries place places town region stadt land ort region".split())


def _has_new_place(text: str, question: str) -> bool:
    """A name the question does not contain, right after a locative preposition ("in Davos")."""
    qs = {stem(w) for w in words(question)}
    for m in re.finditer(r"\b(?:in|at|near|from|im|bei|nach|aus)\s+([A-ZÄÖÜ][\w’'-]+)", text):
        if stem(m.group(1)) not in qs:
            return True
    return False


def answer_type_ok(question: str, text: str) -> bool:
    if _NUMBER_Q.search(question) and not _has_number(text):
        return False
    if _DATE_Q.search(question) and not _has_date(text):
        return False
    if re.match(r"^\s*(who|whom|wer|wen|wem)\b", question, re.I) and not _has_new_name(text, question):
        return False
    if re.match(r"^\s*(where|wo)\b", question, re.I) and not _has_new_place(text, question):
        return False
    return focus_ok(question, text)


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
        own = idf(stem(w))
        seen = [idf(a) for a in alts if idf(a) < unseen]
        if not seen:
            continue  # a word no article uses cannot tell sentences apart (names are checked elsewhere)
        # a translation is rarer than the word itself mostly because the other language is rarer
        weight = own if own < unseen else min(seen)
        alts = {a for a in alts if idf(a) < unseen}
        total += weight
        if alts & sentence_terms:
            found += weight
    return found / total if total else 0.0


def question_language(question: str) -> str:
    low = re.findall(r"[a-zäöüß]+", question.lower())
    de = sum(w in _DE_HINTS for w in low) + 2 * bool(re.search(r"[äöüß]", question.lower()))
    en = sum(w in _EN_HINTS for w in low)
    return "de" if de > en else "en"


_DE_HINTS = set("wer wen wem was wie wo wann welche welcher welches warum der die das und ist sind hat mit über "
                "von zu im am sagte neuen".split())
_EN_HINTS = set("who whom what how where when which why the and is are has with about of to in on did does "
                "said new".split())


def score(question: str, evidence: list[Evidence], idf, similarities: list[float] | None) -> list[Evidence]:
    """Coverage of the question, plus MiniLM similarity where question and sentence share a
    language (MiniLM is English-only: across languages its similarity says nothing)."""
    unseen = idf("\x00never-a-term")
    q_lang = question_language(question)
    previous: dict[str, str] = {}
    for i, ev in enumerate(evidence):
        # the sentence before supplies what a pronoun refers to ("er" = Trump), at a discount
        context = previous.get(ev.passage.chunk_id, "") + " " + ev.text
        previous[ev.passage.chunk_id] = ev.text
        ev.context = context
        ev.coverage = max(coverage(question, ev.text, idf, unseen), 0.9 * coverage(question, context, idf, unseen))
        ev.similarity = similarities[i] if similarities else 0.0
        if ev.passage.language == q_lang or not similarities:
            ev.score = 0.65 * ev.coverage + 0.35 * max(ev.similarity, 0.0)
        else:
            ev.score = ev.coverage
    return sorted(evidence, key=lambda e: (-e.score, e.passage.source, e.start))


def select(question: str, ranked: list[Evidence], min_coverage: float = 0.5, max_sentences: int = 3,
           cover=None) -> list[Evidence]:
    """The sentences that answer the question, best first; [] when none does. `cover(text)` gives
    the coverage of any text; with it, a question about several names ("What did Sacks and Huang
    say?") may be answered by two sentences that only together cover it."""
    chosen = _select_single(question, ranked, min_coverage, max_sentences)
    if chosen or cover is None:
        return chosen
    return _select_pair(question, ranked, min_coverage, cover)


def _select_pair(question: str, ranked: list[Evidence], min_coverage: float, cover) -> list[Evidence]:
    names = question_names(question)
    if len(names) < 2 or not re.search(r"\b(and|und|sowie|as well as)\b", question, re.I):
        return []  # only questions that join two subjects ask for two facts
    for first in ranked[:10]:
        if first.coverage < 0.3 or not _mentions_all(names, first.passage.text):
            continue
        have = set(terms(first.text))
        missing = [n for n in names if not n & have]
        for second in ranked[:20]:
            if second is first or not missing or not any(n & set(terms(second.text)) for n in missing):
                continue
            both = f"{first.text} {second.text}"
            if _mentions_all(names, both) and cover(both) >= min_coverage and answer_type_ok(question, both) \
                    and numbers_ok(question, both):
                return [first, second]
    return []


def _select_single(question: str, ranked: list[Evidence], min_coverage: float, max_sentences: int) -> list[Evidence]:
    chosen: list[Evidence] = []
    names = question_names(question)
    for ev in ranked:
        if ev.coverage < min_coverage or not answer_type_ok(question, ev.text):
            continue
        if not numbers_ok(question, ev.text):
            continue
        # the passage must be about the names asked for; a further sentence must name them all
        # itself, or name one the chosen sentences still lack ("What did Sacks and Huang say?")
        if not chosen:
            if not _mentions_all(names, ev.passage.text):
                continue
        else:
            covered = set(terms(" ".join(c.text for c in chosen)))
            mine = set(terms(ev.text))
            missing = [n for n in names if not n & covered]
            if not (_mentions_all(names, ev.text) or any(n & mine for n in missing)):
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
