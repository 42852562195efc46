"""English readings of German chunks, for retrieval.

MiniLM is an English model and BM25 matches words, so an English question finds a German chunk
mostly by its names and numbers. Each German chunk therefore gets a second vector, embedded from
its English reading (the local model's translation sentence by sentence where usable, else the
word gloss: rag/text/crosslingual.py), stored under the chunk's id + READING_SUFFIX, and BM25 indexes the
reading beside the German text. Answers and quotes still come from the German text.

Measured on the train+dev questions whose answer only a German article states (2026-11-30, 235):
the chunk holding the answer was among the 10 passages handed to the answer engine for 171 before,
218 after (ranked first: 22 -> 111); English questions about English articles moved by 0-5."""

from __future__ import annotations

from rag.ingest.chunking import stored_sentences
from rag.store.vectors import READING_SUFFIX
from rag.text.crosslingual import in_english
from rag.text.sentences import split_sentences


def wanted(ws) -> dict[str, str]:
    """chunk id -> English reading, for every stored German chunk."""
    cat = ws.catalog
    out: dict[str, str] = {}
    for row in cat.articles():
        if row.language != "de":
            continue
        known = ws.known_english(s.text for s in stored_sentences(cat, row))
        for chunk in cat.chunks(row.article_id):
            parts = split_sentences(row.text, chunk.start, chunk.end)
            out[chunk.chunk_id] = " ".join(in_english(s.text, "de", known) for s in parts) or in_english(
                chunk.text, "de", known
            )
    return out


def refresh(ws) -> int:
    """Embeds and stores the readings that are new or changed (a translation arrived since);
    returns how many. Call it holding the write lock."""
    cat = ws.catalog
    stored = cat.readings()
    changed = {cid: text for cid, text in wanted(ws).items() if stored.get(cid) != text}
    if not changed:
        return 0
    chunks = list(cat.chunk_map(list(changed)).values())
    texts = [changed[c.chunk_id] for c in chunks]
    vectors = ws.embedder.embed(texts)
    rows = {aid: cat.article(aid) for aid in {c.article_id for c in chunks}}
    # vectors first: a reading recorded in the catalog always has its vector
    ws.store.upsert(chunks, vectors, rows, id_suffix=READING_SUFFIX, documents=texts)
    cat.set_readings([(c.chunk_id, t) for c, t in zip(chunks, texts)])
    ws.save_vectors()
    return len(chunks)
