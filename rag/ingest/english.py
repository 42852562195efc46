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

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from rag.spans import Chunk
from rag.text.crosslingual import in_english
from rag.text.sentences import split_sentences

if TYPE_CHECKING:
    from rag.store.catalog import ArticleRow

SUFFIX = "~en"
BATCH = 64
_TRANSLATOR = "readings_translator"  # catalog meta: the translation model the readings were made with


def chunk_id(vector_id: str) -> str:
    """The chunk a vector id stands for (its own vector or its English reading's)."""
    return vector_id.removesuffix(SUFFIX)


def _reading(ws, chunk: Chunk, text: str) -> tuple[str, bool]:
    """A chunk's English, sentence by sentence as retrieval hands its sentences out, and whether
    every sentence is in the model's translation (not the gloss)."""
    sentences = [s.text for s in split_sentences(text, chunk.start, chunk.end)]
    known = ws.known_english(sentences)
    english = " ".join(in_english(s, "de", known) for s in sentences) or in_english(chunk.text, "de")
    return english, bool(sentences) and all(s in known for s in sentences)


def index_english(ws, progress: Callable[[int, int, str], None] | None = None) -> int:
    """Embeds the English readings of this catalog's German chunks that have none, or only a gloss
    when a translation has arrived since, or one by another translation model; drops those of
    articles no longer read as German. A translation is never replaced by a gloss (translation off,
    or its cache unreadable), and an ingest with nothing due does not touch the vector store. Each
    batch is recorded as it is stored, so an interrupted run keeps what it did. Call it holding the
    write lock; returns the number embedded."""
    cat = ws.catalog
    translator = getattr(ws.translations, "model_id", None)
    new_model = translator is not None and cat.get_meta(_TRANSLATOR) != translator
    due = cat.readings_due(glossed_too=translator is not None, translated_too=new_model)
    stale = cat.readings_stale()
    todo: list[tuple[Chunk, ArticleRow, str, bool]] = []
    unchanged: list[tuple[str, str, bool]] = []
    rows: dict[str, ArticleRow | None] = {}
    for chunk, sha in due:
        if chunk.article_id not in rows:
            rows[chunk.article_id] = cat.article(chunk.article_id)
        row = rows[chunk.article_id]
        if row is None:
            continue
        english, translated = _reading(ws, chunk, row.text)
        if _sha(english) != sha:
            todo.append((chunk, row, english, translated))
        elif translated:
            unchanged.append((chunk.chunk_id, sha, True))  # the same English, now known as translated
    made = 0
    for i in range(0, len(todo), BATCH):
        if progress:
            progress(i, len(todo), f"German chunks in English ({i}/{len(todo)})")
        part = todo[i : i + BATCH]
        vectors = ws.embedder.embed([english for _, _, english, _ in part])
        readings = [
            Chunk(c.start, c.end, english, chunk_id=c.chunk_id + SUFFIX, article_id=c.article_id, position=c.position)
            for c, _, english, _ in part
        ]
        ws.store.upsert(readings, vectors, {row.article_id: row for _, row, _, _ in part})
        # the catalog after the vectors (a run killed in between leaves them due), with a new
        # generation each time, so the query snapshot is rewritten with them
        cat.record_readings([(c.chunk_id, _sha(english), translated) for c, _, english, translated in part], [])
        made += len(part)
    if stale:
        ws.store.delete_ids([cid + SUFFIX for cid in stale])
    if stale or unchanged:
        cat.record_readings(unchanged, stale)
    if new_model:
        cat.set_meta(_TRANSLATOR, translator)
    if made or stale:
        ws.save_vectors()
    return made


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
