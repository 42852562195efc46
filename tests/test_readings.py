"""German chunks indexed by their English reading (rag/ingest/readings.py): a second vector and
BM25 terms, kept in step with the translations, removed with the article, never shown as a chunk."""

import pytest

from rag.ingest.pipeline import ingest
from rag.models import translator
from rag.retrieval.bm25 import load_index, query_terms
from rag.retrieval.search import retrieve
from rag.text.crosslingual import gloss
from rag.text.sentences import split_sentences

from conftest import make_ws


def vector_ids(ws):
    return set(ws.store.collection.get(include=[])["ids"])


def german_chunks(ws):
    [row] = [r for r in ws.catalog.articles() if r.language == "de"]
    return row, ws.catalog.chunks(row.article_id)


class NumberedTranslator:
    """English with a made-up word per sentence that no article contains: zeppelin0, zeppelin1, ..."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, sentence: str) -> str:
        self.seen.append(sentence)
        return f"The report number zeppelin{len(self.seen) - 1} says this happened in the harbour."


@pytest.fixture
def translation_on(monkeypatch, tmp_path):
    fake = NumberedTranslator()
    monkeypatch.setenv("RAG_TRANSLATE", "true")
    monkeypatch.setenv("RAG_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr(translator, "available", lambda settings: settings.translate)
    monkeypatch.setattr(translator, "LlamaTranslator", lambda settings: fake)
    return fake


def test_each_german_chunk_gets_a_second_vector_of_its_english_reading(fake_ws):
    row, chunks = german_chunks(fake_ws)
    stored = fake_ws.catalog.readings()
    assert set(stored) == {c.chunk_id for c in chunks}  # German chunks only
    # without translations the reading is the word gloss, not the German text
    for c in chunks:
        expected = " ".join(gloss(s.text) for s in split_sentences(row.text, c.start, c.end))
        assert stored[c.chunk_id] == expected != c.text
    got = fake_ws.store.collection.get(ids=[f"{c.chunk_id}#en" for c in chunks], include=["metadatas", "documents"])
    assert len(got["ids"]) == len(chunks)
    assert {m["article_id"] for m in got["metadatas"]} == {row.article_id}
    assert set(got["documents"]) == {stored[c.chunk_id] for c in chunks}


def test_a_translation_arriving_later_reindexes_the_german_chunks_and_search_finds_them(
    fake_embedder, seeds_copy, translation_on, monkeypatch
):
    monkeypatch.setenv("RAG_TRANSLATE", "false")
    ws = make_ws(fake_embedder)
    first = ingest(ws, [seeds_copy])
    _, chunks = german_chunks(ws)
    assert first.readings == len(chunks) and first.translated == 0
    assert "zeppelin" not in " ".join(ws.catalog.readings().values())

    monkeypatch.setenv("RAG_TRANSLATE", "true")  # e.g. the local engine was installed since
    ws = make_ws(fake_embedder)
    generation = ws.catalog.generation
    second = ingest(ws, [seeds_copy])
    assert second.translated > 0 and second.readings == len(chunks)
    assert ws.catalog.generation > generation  # the BM25 cache and the vector snapshot are rebuilt
    assert "indexed in English" in second.summary()
    assert ingest(ws, [seeds_copy]).readings == 0  # nothing re-embedded when nothing changed

    # a word only the translation of one German sentence holds finds that sentence's chunk
    sentence = translation_on.seen[5]
    word = f"zeppelin{5}"
    target = next(c for c in chunks if sentence in c.text)
    hits = load_index(ws.catalog, ws.home / "cache").search(query_terms(word), 3)
    assert hits and hits[0][0] == target.chunk_id
    passages = retrieve(ws, f"What does report {word} say?")
    assert passages[0].chunk_id == target.chunk_id
    ids = [p.chunk_id for p in passages]
    assert len(ids) == len(set(ids)) and not any("#" in i for i in ids)  # one passage per chunk


def test_replacing_or_removing_the_german_article_takes_its_readings_along(fake_ws, seeds_copy):
    row, chunks = german_chunks(fake_ws)
    path = seeds_copy / row.source
    path.write_text(path.read_text(encoding="utf-8") + "\nDer Hafen bleibt bis Montag geschlossen.\n", encoding="utf-8")
    ingest(fake_ws, [seeds_copy])
    new_row, new_chunks = german_chunks(fake_ws)
    assert new_row.article_id != row.article_id
    assert set(fake_ws.catalog.readings()) == {c.chunk_id for c in new_chunks}
    assert not {f"{c.chunk_id}#en" for c in chunks} & vector_ids(fake_ws)
    path.unlink()
    ingest(fake_ws, [seeds_copy], prune=True)
    assert fake_ws.catalog.readings() == {}
    assert not any(i.endswith("#en") for i in vector_ids(fake_ws))


def test_a_failure_while_indexing_readings_warns_keeps_the_articles_and_the_next_run_catches_up(
    fake_embedder, seeds_copy, monkeypatch
):
    from rag.store.vectors import VectorStore

    real = VectorStore.upsert

    def failing(self, chunks, embeddings, articles, id_suffix="", documents=None):
        if id_suffix:
            raise OSError(28, "No space left on device")
        return real(self, chunks, embeddings, articles, id_suffix, documents)

    monkeypatch.setattr(VectorStore, "upsert", failing)
    ws = make_ws(fake_embedder)
    report = ingest(ws, [seeds_copy])
    assert ws.catalog.counts()[0] == 5 and len(report.added) == 5
    assert report.readings == 0 and ws.catalog.readings() == {}
    assert any("not indexed in English" in w and "No space left" in w for w in report.warnings)
    assert retrieve(ws, "Who is the new CBS News anchor?")  # the store answers meanwhile

    monkeypatch.setattr(VectorStore, "upsert", real)
    again = ingest(make_ws(fake_embedder), [seeds_copy])
    assert again.readings == len(german_chunks(ws)[1]) and not again.warnings


def test_vector_ids_map_back_to_their_chunk():
    from rag.store.vectors import READING_SUFFIX, chunk_id_of

    assert chunk_id_of("abc-0003" + READING_SUFFIX) == "abc-0003" == chunk_id_of("abc-0003")
