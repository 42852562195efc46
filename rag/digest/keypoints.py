"""Key points without generation: the sentences that carry an article's (or a story's) most
distinctive content, each a verbatim quote. In a story, a point is backed by every article that
states the same fact, and a fact stated with different figures is flagged as a disagreement."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Set
from dataclasses import dataclass, field

from rag.ingest.articles import Article
from rag.ingest.chunking import content_sentences
from rag.spans import Quote
from rag.text.crosslingual import canonical_terms, facts, names
from rag.text.facts import capitalised_as_written
from rag.text.words import stem

_DATELINE = re.compile(r"(?:date|published|veröffentlicht|datum)\s*[:\-]?\s*\d{4}-\d{2}-\d{2}\s+", re.I)


@dataclass
class KeyPoint:
    quote: Quote  # the sentence shown
    support: list[Quote] = field(default_factory=list)  # the same fact in other articles
    score: float = 0.0

    @property
    def quotes(self) -> list[Quote]:
        return [self.quote, *self.support]


def sentences(row) -> list[Quote]:
    out = []
    for i, s in enumerate(content_sentences(Article.from_row(row))):
        start, text = s.start, s.text
        dateline = _DATELINE.match(text)
        if dateline:  # "date 2026-02-06 Tesla is ..." -> quote from "Tesla", still verbatim
            start, text = start + dateline.end(), text[dateline.end() :]
        words = text.split()
        if len(words) < 6 or len(words) > 80 or text.endswith("?"):
            continue  # headlines, fragments, questions and run-ons make poor key points
        if not text.rstrip("“”\"'’»").endswith((".", "!")):
            continue
        out.append(
            Quote(
                start,
                s.end,
                text,
                article_id=row.article_id,
                source=row.source,
                title=row.title,
                outlet=row.outlet,
                language=row.language,
                terms=canonical_terms(text, row.language),
                facts=facts(text),
                position=i,
                names=names(text),
            )
        )
    return out


def same_fact(a: Quote, b: Quote, common: Set[str] = frozenset()) -> bool:
    """Two sentences state the same thing: enough shared (glossed) words and a shared name that
    is not one the whole story mentions anyway (Tesla, China)."""
    if a.article_id == b.article_id:
        return False
    shared_names = (a.names & b.names) - common
    overlap = len(a.terms & b.terms) / max(1, min(len(a.terms), len(b.terms)))
    return bool(shared_names) and (overlap >= 0.3 or len(shared_names) >= 2 and overlap >= 0.2)


def _figures(q: Quote) -> set[str]:
    return {f for f in q.facts if ":" in f}  # "num:82000", "pct:24", "date:1-13" (facts() adds names)


def conflicting(a: set[str], b: set[str]) -> list[str]:
    """The kinds of figure (num, pct, date) both state but differently: neither one's set of that
    kind holds the other's (82,000 vs 80,000 homes; not 82,000 vs 82,000 and 3 deaths)."""
    kinds = {x.split(":")[0] for x in a} & {x.split(":")[0] for x in b}
    out = []
    for kind in sorted(kinds):
        x, y = {v for v in a if v.startswith(kind)}, {v for v in b if v.startswith(kind)}
        if not (x <= y or y <= x):
            out.append(kind)
    return out


def _diverse(points: list[KeyPoint], k: int) -> list[KeyPoint]:
    chosen: list[KeyPoint] = []

    def same(p: KeyPoint, c: KeyPoint) -> bool:
        keys = {(q.article_id, q.start) for q in c.quotes}
        return (p.quote.article_id, p.quote.start) in keys or any((q.article_id, q.start) in keys for q in p.support)

    for p in sorted(points, key=lambda p: (-p.score, p.quote.source, p.quote.start)):
        if any(same(p, c) for c in chosen):
            continue
        if any(
            len(p.quote.terms & c.quote.terms) / max(1, len(p.quote.terms | c.quote.terms)) > 0.35
            or p.quote.article_id == c.quote.article_id
            and abs(p.quote.position - c.quote.position) == 0
            for c in chosen
        ):
            continue
        chosen.append(p)
        if len(chosen) >= k:
            break
    return chosen


def article_points(row, k: int = 5) -> list[KeyPoint]:
    """The sentences whose words recur most in the article, favouring the lead, without repeats."""
    quotes = sentences(row)
    if not quotes:
        return []
    tf = Counter(t for q in quotes for t in q.terms)
    points = []
    for q in quotes:
        weight = sum(tf[t] for t in q.terms) / (len(q.terms) ** 0.7 or 1)
        lead_bonus = 1.0 + 0.5 / (1 + q.position)  # news puts the most important first
        points.append(KeyPoint(q, score=weight * lead_bonus + 0.5 * len(q.facts)))
    chosen = _diverse(points, k)
    return sorted(chosen, key=lambda p: p.quote.position)


def common_names(quotes: list[Quote], share: float = 0.15) -> set[str]:
    """Names in a large share of the story's sentences (Tesla, China): they tie nothing to one fact.
    Sacks or Li Qiang, in a sentence or two per article, do."""
    unique = {q.text: q for q in quotes}.values()  # a syndicated copy repeats, it does not add
    df = Counter(n for q in unique for n in q.names)
    return {n for n, c in df.items() if c > max(3, share * len(unique))}


def story_points(rows, k: int = 4, prefer_language: str = "en") -> list[KeyPoint]:
    quotes = [q for r in rows for q in sentences(r)]
    if not quotes:
        return []
    common = common_names(quotes)
    n_articles = len({q.article_id for q in quotes})
    spread: Counter[str] = Counter()  # in how many of the story's articles each term occurs
    for art in {q.article_id for q in quotes}:
        spread.update(set().union(*(q.terms for q in quotes if q.article_id == art)))
    by_name: dict[str, list[Quote]] = {}
    for q in quotes:
        for n in q.names - common:
            by_name.setdefault(n, []).append(q)
    points = []
    for q in quotes:
        candidates = {id(o): o for n in q.names - common for o in by_name.get(n, ())}.values()
        # an article giving another figure for the fact does not back it (it disagrees)
        support = [o for o in candidates if same_fact(q, o, common) and not conflicting(_figures(q), _figures(o))]
        backed_by = len({o.article_id for o in support})
        centrality = sum(spread[t] / n_articles for t in q.terms) / (len(q.terms) ** 0.7 or 1)
        score = centrality * (1 + backed_by) * (1.0 + 0.3 / (1 + q.position)) + 0.3 * len(q.facts)
        if q.language == prefer_language:
            score *= 1.15  # the same fact, said in the reader's language, reads better
        best_support: dict[str, Quote] = {}
        for o in support:  # one backing quote per other article
            if o.article_id not in best_support or len(o.terms & q.terms) > len(
                best_support[o.article_id].terms & q.terms
            ):
                best_support[o.article_id] = o
        points.append(KeyPoint(q, list(best_support.values()), score))
    return _diverse(points, k)


def disagreements(rows) -> list[dict]:
    """The same fact (shared name, similar words) with different numbers or dates in two articles."""
    quotes = [q for r in rows for q in sentences(r)]
    common = common_names(quotes)
    found, seen = [], set()
    order = {id(q): i for i, q in enumerate(quotes)}
    by_name: dict[str, list[Quote]] = {}
    for q in quotes:
        for n in q.names - common:
            by_name.setdefault(n, []).append(q)
    for a in quotes:
        na = _figures(a)
        if not na:
            continue
        later = {id(o): o for n in a.names - common for o in by_name.get(n, ()) if order[id(o)] > order[id(a)]}
        for b in sorted(later.values(), key=lambda o: order[id(o)]):
            if not same_fact(a, b, common):
                continue
            nb = _figures(b)
            if not nb:
                continue
            differing = conflicting(na, nb)
            if not differing:
                continue
            key = (a.article_id, a.start, b.article_id, b.start)
            if key in seen:
                continue
            seen.add(key)
            shared = (a.names & b.names) - common
            # the names as the sentence writes them (names() holds their stems: "ingri" for Ingrid)
            about = dict.fromkeys(written for written, w in capitalised_as_written(a.text) if stem(w) in shared)
            found.append(
                {"about": ", ".join(about), "kind": "date" if differing == ["date"] else "figure", "claims": [a, b]}
            )
    return found
