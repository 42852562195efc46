"""German chunks found by English questions. MiniLM reads English only, so a German chunk's own
vector is a poor match for an English question; each German chunk is also indexed by the embedding
of its English reading (the local model's translation, sentence by sentence, else the word-by-word
gloss), stored beside the chunk's own vector in Chroma under `<chunk id>~en`, with the chunk's
metadata (deleting the article deletes it too) and the English as its document. Retrieval counts
the better rank of the two for the chunk (rag/retrieval/search.py).

Measured by simulation on the spent test batches (2026-12-01, session 13): English questions about
a fact only the German article states got a passage stating it for 36 -> 45 of 50 (test7) and
33 -> 44 of 53 (test8); the other questions 123 -> 123 of 126 and 127 -> 128 of 131."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rag.spans import Chunk
from rag.text.crosslingual import in_english
from rag.text.sentences import split_sentences

if TYPE_CHECKING:
    from rag.store.catalog import ArticleRow

SUFFIX = "~en"
BATCH = 64


def chunk_id(vector_id: str) -> str:
    """The chunk a vector id stands for (its own vector or its English reading's)."""
    return vector_id.removesuffix(SUFFIX)


def english_readings(ws) -> dict[str, tuple[Chunk, ArticleRow]]:
    """Reading id -> (the English reading as a chunk, its article row), for every stored German chunk."""
    out: dict[str, tuple[Chunk, ArticleRow]] = {}
    for row in ws.catalog.articles():
        if row.language != "de":
            continue
        chunks = ws.catalog.chunks(row.article_id)
        sentences = {c.chunk_id: [s.text for s in split_sentences(row.text, c.start, c.end)] for c in chunks}
        known = ws.known_english(s for group in sentences.values() for s in group)
        for c in chunks:
            english = " ".join(in_english(s, "de", known) for s in sentences[c.chunk_id]) or in_english(c.text, "de")
            rid = c.chunk_id + SUFFIX
            out[rid] = (Chunk(c.start, c.end, english, chunk_id=rid, article_id=c.article_id, position=c.position), row)
    return out


def index_english(ws, progress: Callable[[int, int, str], None] | None = None) -> int:
    """Embeds the English readings that are missing or changed (a translation arrived since the
    gloss was embedded) and drops readings of chunks no longer stored. Call it holding the write
    lock. Returns the number embedded."""
    wanted = english_readings(ws)
    stored = ws.store.readings(SUFFIX)
    todo = [(chunk, row) for rid, (chunk, row) in wanted.items() if stored.get(rid) != chunk.text]
    stale = [rid for rid in stored if rid not in wanted]
    for i in range(0, len(todo), BATCH):
        if progress:
            progress(i, len(todo), f"indexing German chunks in English ({i}/{len(todo)})")
        part = todo[i : i + BATCH]
        vectors = ws.embedder.embed([chunk.text for chunk, _ in part])
        ws.store.upsert([chunk for chunk, _ in part], vectors, {row.article_id: row for _, row in part})
    if stale:
        ws.store.delete_ids(stale)
    if todo or stale:
        ws.catalog.touch()  # a new generation: the query snapshot is rewritten with the readings
        ws.save_vectors()
    return len(todo)
