"""Hybrid retrieval: vector search (Chroma) and BM25, fused by reciprocal rank, with a cap per
article so one article cannot crowd out the others. A German chunk is found by its own vector or
its English reading's (rag/ingest/english.py), whichever ranks higher."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from rag.errors import StoreEmptyError
from rag.ingest.english import chunk_id
from rag.retrieval.bm25 import load_index, query_terms
from rag.spans import Passage

if TYPE_CHECKING:
    from rag.store.catalog import ArticleRow


def fuse(rankings: list[list[str]], k: int) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            scores[cid] += 1.0 / (k + rank + 1)
    return scores


def retrieve(ws, question: str, top_k: int | None = None) -> list[Passage]:
    s = ws.settings.retrieval
    top_k = top_k or s.top_k
    cat = ws.catalog
    n_articles, n_chunks = cat.counts()
    if n_chunks == 0:
        raise StoreEmptyError(
            f"the store in {ws.home} is empty; run `rag ingest PATH` first (e.g. `rag ingest seeds/`)"
        )
    ws.check_embedding_model(ws.embedder.name)
    # twice as many: a German chunk may come twice, by its own vector and its English reading's
    vec_hits = ws.vectors.query(ws.embedder.embed([question])[0], 2 * s.candidates)
    bm25_hits = load_index(cat, ws.home / "cache").search(query_terms(question), s.candidates)
    vec_ids = list(dict.fromkeys(chunk_id(vid) for vid, _ in vec_hits))[: s.candidates]
    bm_ids = [cid for cid, _ in bm25_hits]
    fused = fuse([vec_ids, bm_ids], s.rrf_k)
    rows = cat.chunk_map(list(fused))
    articles: dict[str, ArticleRow] = {}
    per_article: dict[str, int] = defaultdict(int)
    out: list[Passage] = []
    for cid in sorted(fused, key=lambda c: (-fused[c], c)):
        row = rows.get(cid)
        if row is None or per_article[row.article_id] >= s.per_article_cap:
            continue  # a vector whose catalog row is gone (mid-ingest) is never shown
        per_article[row.article_id] += 1
        art = articles.get(row.article_id) or cat.article(row.article_id)
        articles[row.article_id] = art
        out.append(
            Passage(
                row.start,
                row.end,
                row.text,
                chunk_id=cid,
                article_id=row.article_id,
                position=row.position,
                source=art.source,
                title=art.title,
                language=art.language,
                score=fused[cid],
                vector_rank=vec_ids.index(cid) + 1 if cid in vec_ids else None,
                bm25_rank=bm_ids.index(cid) + 1 if cid in bm_ids else None,
            )
        )
        if len(out) >= top_k:
            break
    return out


def article_passages(catalog, row: ArticleRow, limit: int | None = None) -> list[Passage]:
    """An article's own chunks as passages (score 1.0): what summaries and digests read."""
    return [
        Passage(
            c.start,
            c.end,
            c.text,
            chunk_id=c.chunk_id,
            article_id=row.article_id,
            position=c.position,
            source=row.source,
            title=row.title,
            language=row.language,
            score=1.0,
        )
        for c in catalog.chunks(row.article_id)[:limit]
    ]
