"""Real components: MiniLM (ONNX and sentence-transformers), Chroma, Gemma via llama.cpp, and the
openai engine over HTTP against llama.cpp's OpenAI-compatible server on 127.0.0.1."""

import re

import pytest

from rag.answer.engines import ask
from rag.answer.result import CANNOT_ANSWER, CLOSEST
from rag.settings import EngineName

from conftest import SEEDS, make_ws
from servers import FakeOpenAI, LlamaServer

pytestmark = pytest.mark.slow


def seed_text(source: str) -> str:
    return (SEEDS / source).read_text(encoding="utf-8")


def test_onnx_export_matches_sentence_transformers(real_ws):
    from sentence_transformers import SentenceTransformer

    from rag.models.embeddings import minilm_dir

    texts = ["Tesla trains AI models in China.", "Am 13. Januar sagte Trump in einem Interview etwas."]
    onnx = real_ws.embedder.embed(texts)
    reference = SentenceTransformer(str(minilm_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    for a, b in zip(onnx, reference):
        assert len(a) == 384
        assert sum(x * y for x, y in zip(a, b)) > 0.999


def test_store_reopens_in_a_new_process_with_the_same_contents(real_ws):
    ws = make_ws(home=real_ws.home, models_dir=real_ws.settings.model_cache)
    assert ws.catalog.counts() == real_ws.catalog.counts()
    german = sum(a.n_chunks for a in ws.catalog.articles() if a.language == "de")  # + their English readings
    assert ws.store.count() == real_ws.catalog.counts()[1] + german
    chunk = ws.catalog.chunks()[3]
    hits = ws.store.query(ws.embedder.embed([chunk.text])[0], 1)
    assert hits[0][0] == chunk.chunk_id


def test_an_english_question_is_nearer_the_german_chunks_english_reading(real_ws):
    """MiniLM reads English: the German seed's chunk is found by its (Gemma) English reading."""
    from rag.ingest.english import SUFFIX

    vector = real_ws.embedder.embed(["Which journalist interviewed Trump on CBS in January?"])[0]
    hits = [vid for vid, _ in real_ws.store.query(vector, real_ws.store.count())]
    texts = {c.chunk_id: c.text for c in real_ws.catalog.chunks()}
    german = next(vid for vid in hits if "Dokoupil" in texts.get(vid, ""))
    assert hits.index(german + SUFFIX) < hits.index(german)
    english = real_ws.store.collection.get(ids=[german + SUFFIX], include=["documents"])["documents"][0]
    assert "Dokoupil" in english


CASES = [
    # (question, fact that must be in the answer and in a cited quote, source file prefix)
    ("Who interviewed Trump on CBS?", "Dokoupil", "002"),  # German-only fact, English question
    ("Where did Trump repeat his claim on January 21?", "Davos", "002"),  # German-only fact
    ("What did Demis Hassabis say about China?", "sechs Monate", "002"),  # German-only fact
    ("Welche Wirkungsgrade erreichen die Solarzellen?", "24", "002"),  # German question
    ("Who did Elon Musk meet in Beijing?", "Li Qiang", "00[13]"),  # several outlets
    ("What efficiency do the heterojunction solar cells achieve?", "24%", "000"),  # a number
]


@pytest.mark.parametrize("question,fact,source", CASES)
def test_cited_answers_on_the_seeds(real_ws, question, fact, source):
    """The sentence stating the fact is surfaced verbatim from the right article: as the answer,
    or - when the selector is not confident enough to answer - as a closest passage of the refusal."""
    a = ask(real_ws, question, EngineName.extractive)
    assert a.verified
    shown = a.closest if a.refused else a.citations
    if not a.refused:
        assert fact in a.answer
    backing = [c for c in shown if fact in c.quote]
    assert backing, f"no citation quotes {fact!r}"
    assert any(re.match(source, c.source) for c in backing)
    for c in shown:
        assert c.quote in seed_text(c.source)  # verbatim, checked against the file itself
        assert seed_text(c.source)[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    "question",
    [
        "What was Tesla's revenue in 2023?",
        "Who is the CEO of BYD?",
        "How many cars did Tesla sell in China?",
        "What is the price of Tesla FSD in China?",
    ],
)
def test_unanswerable_questions_are_refused(real_ws, question):
    a = ask(real_ws, question, EngineName.extractive)
    assert a.refused and a.answer in (CANNOT_ANSWER, CLOSEST) and a.citations == []
    assert bool(a.closest) == (a.answer == CLOSEST)  # closest passages are shown, never cited as an answer


def test_local_gemma_generates_and_is_verified(real_ws):
    from rag.models.local import model_path, stream_completion

    text = "".join(stream_completion(real_ws.settings, "The capital of France is"))
    assert text.strip()  # the GGUF loads and generates through llama.cpp
    a = ask(real_ws, "Who interviewed Trump on CBS?", EngineName.local)
    assert a.engine == "local" and a.model == model_path(real_ws.settings).name
    assert a.verified  # either its own answer verified, or it was replaced by verified evidence
    for c in a.citations:
        assert c.quote in seed_text(c.source)


@pytest.fixture(scope="module")
def llama_server(real_ws):
    from rag.models.local import model_path

    server = LlamaServer(str(model_path(real_ws.settings)))
    yield server
    server.stop()


def test_openai_engine_against_a_real_openai_compatible_server(real_ws, llama_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server.base_url)
    monkeypatch.setenv("OPENAI_MODEL", llama_server.alias)
    ws = make_ws(home=real_ws.home, models_dir=real_ws.settings.model_cache)
    assert ws.settings.default_engine() is EngineName.openai
    a = ask(ws, "Who interviewed Trump on CBS?", ws.settings.default_engine())
    assert a.engine == "openai" and a.model == llama_server.alias
    assert a.timings["generate"] > 0
    assert a.verified
    for c in a.citations:
        assert c.quote in seed_text(c.source)


def test_openai_engine_keeps_a_verified_answer(real_ws, monkeypatch):
    q = "Who interviewed Trump on CBS?"
    from rag.retrieval.search import retrieve

    k = next(i for i, p in enumerate(retrieve(real_ws, q), 1) if "Dokoupil" in p.text)
    fake = FakeOpenAI([("stream", f"Tony Dokoupil interviewed Trump on CBS on January 13 [{k}].")])
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123456")
        ws = make_ws(home=real_ws.home, models_dir=real_ws.settings.model_cache)
        a = ask(ws, q, EngineName.openai)
    finally:
        fake.stop()
    assert a.fallback_reason is None and a.verified
    assert a.answer == "Tony Dokoupil interviewed Trump on CBS on January 13 [1]."
    assert a.citations[0].source.startswith("002_")
    sent = fake.requests[0]
    assert sent["stream"] is True and "Dokoupil" in sent["messages"][1]["content"]
