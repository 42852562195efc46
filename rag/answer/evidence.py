"""Evidence sentences: the retrieved passages cut into sentences (spans in the article text), each
described by general features against the question. rag/answer/selector.py turns the features into a
probability with a model fitted on the train split of the blind question bank.

Features (all in [0, 1]):
- sim: MiniLM cosine of question and sentence, compared in English (MiniLM is English-only):
  German in the local model's translation for a question in English, else glossed word by word
- cov, cov_ctx: idf-weighted share of the question's content words in the sentence, and in the
  sentence with the one before it (what a pronoun refers to); translations count
- focus: the same share over the question's words that are not names (what is asked about them:
  a lede repeats the names, the answer sentence carries the predicate)
- names, names_ctx, names_art: share of the question's names in the sentence, its context, the passage
- type_ok: the sentence offers the kind of answer asked for (a date for "when", a number for
  "how many", a name the question lacks for "who") - see rag/text/facts.py
- novel: share of the sentence's words that are not the question's (an answer adds something)
- rank: 1 / rank of its passage in retrieval; cross: sentence and question in different languages
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from rag.spans import Evidence, Passage
from rag.text import facts as textfacts
from rag.text.crosslingual import in_english
from rag.text.dictionary import translations
from rag.text.lexicon import language_of
from rag.text.sentences import split_sentences
from rag.text.words import stem, term_set, terms, word_stems, words

FEATURES = ("sim", "cov", "cov_ctx", "focus", "names", "names_ctx", "names_art", "type_ok", "novel", "rank", "cross")


def evidence_sentences(passages: list[Passage], article_texts: dict[str, str]) -> list[Evidence]:
    out = []
    for rank, p in enumerate(passages, 1):
        previous = ""
        for s in split_sentences(article_texts[p.article_id], p.start, p.end):
            # a line break, not a space: a headline or dateline has no full stop, and joined with a
            # space it would merge with the next sentence into one that has no translation
            context = f"{previous}\n{s.text}" if previous else s.text
            out.append(Evidence(s.start, s.end, s.text, passage=p, context=context, rank=rank))
            previous = s.text
    return out


@dataclass
class Question:
    text: str
    language: str
    kind: textfacts.AnswerType
    words: list[tuple[set[str], float]]  # each content word: the stems that match it, its idf weight
    focus: list[tuple[set[str], float]]  # the content words that are not names
    names: list[set[str]]  # each name: the stems that match it
    stems: set[str]  # every stem of the question, translations included


def _alternatives(word: str) -> set[str]:
    alts = {stem(word)}
    for t in translations(word, limit=4):
        alts.update(terms(t))
    return alts


def analyse(question: str, idf) -> Question:
    unseen = idf("\x00never-a-term")
    lang = language_of(question)
    content: list[tuple[set[str], float]] = []
    all_stems: set[str] = set()
    for w in dict.fromkeys(w for w in words(question) if len(w) > 1):
        alts = _alternatives(w)
        all_stems |= alts
        seen = [idf(a) for a in alts if idf(a) < unseen]
        if seen:  # a word no article uses cannot tell sentences apart
            own = idf(stem(w))
            content.append(({a for a in alts if idf(a) < unseen}, own if own < unseen else min(seen)))
    question_names = []
    for n in dict.fromkeys(textfacts.names(question)):
        if lang == "de" and n[:1].isalpha() and is_german_noun(n):
            continue  # German capitalises every noun: only words the dictionary does not know are names
        if _is_common_acronym(question, n):
            continue  # CEO, AI, EV: written in capitals, but common words
        question_names.append(name_forms(n))
    name_stems = {stem(n) for n in textfacts.names(question)}
    focus = [(alts, w) for alts, w in content if not alts & name_stems]
    return Question(question, lang, textfacts.answer_type(question), content, focus, question_names, all_stems)


def _is_common_acronym(question: str, name: str) -> bool:
    from rag.text.dictionary import default

    written = re.search(rf"\b{re.escape(name)}\b", question, re.I)
    return bool(written and written.group().isupper() and len(name) <= 4 and default().knows(name, "en"))


def name_forms(name: str) -> set[str]:
    """The index terms a name may appear as: its own (hyphenated parts too, as the index splits
    them), the umlaut spelling of ae/oe/ue (Duesseldorf = Düsseldorf), and two translations."""
    forms = set(terms(name))
    umlauts = name.replace("ae", "ä").replace("oe", "ö").replace("ue", "ü")
    if umlauts != name:
        forms |= set(terms(umlauts))
    for t in translations(name, limit=2):
        forms |= set(terms(t))
    return forms


def is_german_noun(word: str) -> bool:
    """A word the dictionary knows as German, or a compound ending in one (Selbstfahrsystem,
    KI-Training): German joins nouns into new words no dictionary lists."""
    from rag.text.dictionary import default

    d = default()
    parts = word.split("-")
    last = parts[-1]
    return d.knows(word, "de") or d.knows(last, "de") or any(d.knows(last[i:], "de") for i in range(1, len(last) - 3))


def coverage(q: Question, text: str, focus: bool = False) -> float:
    have = term_set(text)
    weighted = q.focus if focus else q.words
    total = sum(w for _, w in weighted)
    return sum(w for alts, w in weighted if alts & have) / total if total else 0.0


def _share(names: list[set[str]], have: AbstractSet[str]) -> float:
    return sum(bool(n & have) for n in names) / len(names) if names else 1.0


def features(q: Question, ev: Evidence, similarity: float) -> dict[str, float]:
    own, ctx = term_set(ev.text), term_set(ev.context)
    passage = term_set(ev.passage.text)
    sentence_words = word_stems(ev.text)
    novel = sum(w not in q.stems for w in sentence_words) / len(sentence_words) if sentence_words else 0.0
    return {
        "sim": max(similarity, 0.0),
        "cov": coverage(q, ev.text),
        "cov_ctx": coverage(q, ev.context),
        "focus": coverage(q, ev.text, focus=True),
        "names": _share(q.names, own),
        "names_ctx": _share(q.names, ctx),
        "names_art": _share(q.names, passage),
        "type_ok": textfacts.offers(q.kind, ev.text, q.stems),
        "novel": novel,
        "rank": 1.0 / ev.rank,
        "cross": float(ev.passage.language != q.language),
    }


def describe(
    q: Question,
    evidence: list[Evidence],
    embed,
    weights: dict[str, float] | None = None,
    margin: float = 1.5,
    english=in_english,
) -> list[Evidence]:
    """Fills every sentence's features; `embed(texts)` gives unit vectors (MiniLM), of the texts
    as `english(text, language)` renders them.

    With the ranker's `weights`, only sentences that could still come within `margin` of the
    best score are embedded (similarity adds at most weights["sim"]); the rest keep similarity 0.
    A cold ask then embeds a dozen sentences instead of ~80, and the ranking at the top is the
    same."""
    if not evidence:
        return evidence
    for e in evidence:
        e.features = features(q, e, 0.0)
        e.coverage = e.features["cov"]
    todo = evidence
    if weights is not None:
        lexical = [sum(weights[k] * e.features[k] for k in FEATURES) for e in evidence]
        floor = max(lexical) - max(weights["sim"], 0.0) - margin
        todo = [e for e, x in zip(evidence, lexical) if x >= floor]
    vectors = embed([english(q.text, q.language)] + [english(e.text, e.passage.language) for e in todo])
    qv = vectors[0]
    for e, v in zip(todo, vectors[1:]):
        e.features["sim"] = max(sum(a * b for a, b in zip(qv, v)), 0.0)
    return evidence


def missing_specifics(q: Question, corpus_terms: set[str]) -> list[str]:
    """The question's names and numbers that no stored article contains: nothing there can
    answer a question about them."""
    missing = [sorted(n)[0] for n in q.names if n and not n & corpus_terms]
    missing += [n for n in _numbers(q.text) if n not in corpus_terms]
    return missing


def _numbers(text: str) -> list[str]:
    """Years only: other figures are written too many ways (2,000 / 2.000 / two thousand)."""
    return [t for t in terms(text) if len(t) == 4 and t.isdigit() and t[:2] in ("19", "20")]
