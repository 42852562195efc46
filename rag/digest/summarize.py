"""`rag summarize`: cited key points of one article, or of everything the articles say on a topic
(map: the best sentences of each relevant article; reduce: the same fact from several outlets
becomes one point citing all of them). With a generating engine the points are written by the
model and verified like answers; a point that fails sends the whole summary back to evidence."""

from __future__ import annotations

import time

from rag.answer.citations import Numbering
from rag.digest.keypoints import KeyPoint, article_points, common_names, same_fact
from rag.digest.model import Point, Summary
from rag.digest.points import llm_points, point_from
from rag.errors import UsageError
from rag.spans import Quote


def resolve_article(ws, ref: str):
    """An article by id (or id prefix), file name (or its unique start), or a title fragment."""
    rows = ws.catalog.articles()
    if not rows:
        from rag.errors import StoreEmptyError

        raise StoreEmptyError(f"the store in {ws.home} is empty; run `rag ingest PATH` first")
    needle = ref.strip().lower()
    for test in (
        lambda r: r.article_id == needle,
        lambda r: r.source.lower() == needle or r.source.lower().rsplit("/", 1)[-1] == needle,
        lambda r: len(needle) >= 6 and r.article_id.startswith(needle),
        lambda r: len(needle) >= 3 and r.source.lower().startswith(needle),
        lambda r: len(needle) >= 3 and needle in r.title.lower(),
    ):
        hits = [r for r in rows if test(r)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            listed = "; ".join(f"{r.article_id} ({r.path})" for r in hits[:5])
            raise UsageError(
                f"{ref!r} matches {len(hits)} articles: {listed}; give the id (or a longer part of the title)"
            )
    short = " (a part of a title or file name needs at least 3 characters)" if len(needle) < 3 else ""
    raise UsageError(f"no stored article matches {ref!r}{short}; `rag sources` lists ids, file names and titles")


def _article_info(row) -> dict:
    return {
        "article_id": row.article_id,
        "source": row.source,
        "title": row.title,
        "outlet": row.outlet,
        "language": row.language,
        "date": row.published,
    }


def summarize_article(ws, ref: str, engine) -> Summary:
    started = time.perf_counter()
    row = resolve_article(ws, ref)
    numbering = Numbering()
    extractive = [point_from(ws, kp, numbering) for kp in article_points(row, k=5)]
    points, reason = extractive, None
    if engine.streams:
        from rag.retrieval.search import article_passages

        passages = article_passages(ws.catalog, row)
        generated, reason = llm_points(ws, engine, f"the article “{row.title}”", passages, "3 to 6")
        if generated and 3 <= len(generated) <= 6:
            points, reason = generated, None
        elif generated:
            reason = f"the model wrote {len(generated)} points, not 3 to 6"
    return Summary(
        "article",
        row.title,
        points,
        [_article_info(row)],
        engine.name.value,
        engine.model,
        fallback_reason=reason,
        timings={"total": time.perf_counter() - started},
    )


def summarize_topic(ws, topic: str, engine) -> Summary:
    from rag.answer import evidence as ev
    from rag.digest.keypoints import sentences
    from rag.retrieval.bm25 import load_index
    from rag.retrieval.search import retrieve

    started = time.perf_counter()
    if not topic.strip():
        raise UsageError("the topic is empty")
    passages = retrieve(ws, topic, top_k=max(12, ws.settings.retrieval.top_k))
    texts = {p.article_id: ws.catalog.article(p.article_id).text for p in passages}
    index = load_index(ws.catalog, ws.home / "cache")
    # map: the sentences of each article that bear on the topic
    question = ev.analyse(topic, index.idf)
    candidates = ev.evidence_sentences(passages, texts)
    for e in candidates:
        e.coverage = ev.coverage(question, e.text)
    candidates.sort(key=lambda e: (-e.coverage, e.passage.source, e.start))
    rows = {aid: ws.catalog.article(aid) for aid in texts}
    quotes_by_key = {(q.article_id, q.start): q for r in rows.values() for q in sentences(r)}
    per_article: dict[str, list[Quote]] = {}
    for e in candidates:
        q = quotes_by_key.get((e.passage.article_id, e.start))
        if q is None or e.coverage < 0.34 or len(per_article.setdefault(q.article_id, [])) >= 2:
            continue
        per_article[q.article_id].append(q)
    # reduce: one point per fact, citing every outlet that states it
    all_quotes = [q for qs in per_article.values() for q in qs]
    common = common_names(list(quotes_by_key.values()))
    rank = {(e.passage.article_id, e.start): i for i, e in enumerate(candidates)}
    kps: list[KeyPoint] = []
    for q in sorted(all_quotes, key=lambda q: rank[(q.article_id, q.start)]):
        home = next(
            (k for k in kps if same_fact(q, k.quote, common) or any(same_fact(q, s, common) for s in k.support)), None
        )
        if home is None:
            kps.append(KeyPoint(q))
        elif q.article_id not in {x.article_id for x in home.quotes}:
            home.support.append(q)
    numbering = Numbering()
    extractive = [point_from(ws, kp, numbering) for kp in kps[:6]]
    used = {c.article_id for p in extractive for c in p.citations}
    articles = [_article_info(rows[a]) for a in rows if a in used]
    summary = Summary("topic", topic, extractive, articles, engine.name.value, engine.model, refused=not extractive)
    if engine.streams and extractive:
        generated, reason = llm_points(ws, engine, topic, passages, "3 to 6")
        if generated:
            summary.points = generated
            used = {c.article_id for p in generated for c in p.citations}
            summary.articles = [_article_info(rows[a]) for a in rows if a in used]
        summary.fallback_reason = reason
    summary.timings = {"total": time.perf_counter() - started}
    return summary


def outlets_of(point: Point, ws) -> list[str]:
    names = []
    for c in point.citations:
        row = ws.catalog.article(c.article_id)
        label = row.outlet or row.source
        if label not in names:
            names.append(label)
    return names
