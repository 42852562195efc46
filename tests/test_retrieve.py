from collections import Counter

from rag.retrieval.bm25 import BM25, query_terms
from rag.retrieval.search import fuse, retrieve
from rag.text.words import stem


def test_rank_fusion_rewards_agreement():
    scores = fuse([["a", "b", "c"], ["b", "c", "a"]], k=60)
    assert max(scores, key=scores.get) == "b"


def test_bm25_ranks_the_document_with_the_rare_term_first():
    index = BM25([("1", "solar cells and panels"), ("2", "Tesla trains AI models"), ("3", "AI chips")])
    assert index.search(query_terms("Which AI models does Tesla train?"), 3)[0][0] == "2"


def test_dictionary_expands_english_questions_into_german_terms():
    weights = query_terms("What did he say in January about months behind?")  # Ding: months -> Monate
    assert stem("januar") in weights and weights[stem("januar")] == 1.0  # cognate stems match directly
    assert stem("hinterher") in weights and weights[stem("hinterher")] < 1.0
    assert stem("monate") in weights


def test_english_question_finds_the_german_only_fact(fake_ws):
    passages = retrieve(fake_ws, "Which journalist interviewed Trump on CBS on January 13?")
    german = [p for p in passages if "Dokoupil" in p.text]
    assert german and german[0].language == "de"
    assert german[0].bm25_rank <= 3  # the keyword side finds it through "CBS", "Trump" and "Januar"


def test_per_article_cap_keeps_other_articles_in(fake_ws):
    passages = retrieve(fake_ws, "Tesla AI training in China", top_k=6)
    per_article = Counter(p.article_id for p in passages)
    assert max(per_article.values()) <= fake_ws.settings.retrieval.per_article_cap
    assert len(per_article) >= 3


def test_an_english_question_finds_a_german_chunk_by_its_english_reading(fake_ws):
    from rag.ingest.english import SUFFIX

    got = fake_ws.store.collection.get(where={"language": "de"}, include=["documents"])
    readings = {i: d for i, d in zip(got["ids"], got["documents"]) if i.endswith(SUFFIX)}
    rid, english = sorted(readings.items())[0]
    question = " ".join(english.split()[:12])  # the reading's own English words
    assert fake_ws.vectors.query(fake_ws.embedder.embed([question])[0], 1)[0][0] == rid
    found = {p.chunk_id: p for p in retrieve(fake_ws, question)}
    assert found[rid.removesuffix(SUFFIX)].vector_rank == 1  # the reading's hit counts for its chunk
    # without the readings, the German chunk's own vector does not rank it first
    fake_ws.store.delete_ids(list(readings))
    fake_ws.catalog.record_readings([], [cid.removesuffix(SUFFIX) for cid in readings])  # a new generation
    fake_ws.save_vectors()
    again = {p.chunk_id: p for p in retrieve(fake_ws, question)}
    chunk = again.get(rid.removesuffix(SUFFIX))
    assert chunk is None or chunk.vector_rank is None or chunk.vector_rank > 1
