import pytest

from rag.answer.engines import ExtractiveEngine, make_engine, parse_engine
from rag.answer.result import CANNOT_ANSWER
from rag.errors import UsageError
from rag.retrieval.search import retrieve
from rag.settings import EngineName

from conftest import QueuedEngine


def _article_text(ws, aid):
    return ws.catalog.article(aid).text


def test_verified_generated_answer_is_kept(fake_ws):
    q = "Who interviewed Trump on CBS?"
    passages = retrieve(fake_ws, q)
    k = next(i for i, p in enumerate(passages, 1) if "Dokoupil" in p.text)
    engine = QueuedEngine.make(fake_ws, [f"Tony Dokoupil interviewed Trump on CBS [{k}]."])
    a = engine.answer(q, passages)
    assert a.verified and a.fallback_reason is None
    assert a.answer == "Tony Dokoupil interviewed Trump on CBS [1]."
    c = a.citations[0]
    assert c.source.startswith("002_") and "Dokoupil" in c.quote
    assert c.quote in _article_text(fake_ws, c.article_id)
    assert engine.prompts[0][0] == q


@pytest.mark.parametrize(
    "bad",
    [
        "Tony Dokoupil interviewed Trump on CBS [9].",  # unknown passage id
        "Trump told CBS that China trails by 42 months [1].",  # made-up number
        "Anderson Cooper interviewed Trump [1].",  # made-up name
    ],
)
def test_unverifiable_answer_is_replaced_by_evidence(fake_ws, bad):
    q = "Who interviewed Trump on CBS?"
    passages = retrieve(fake_ws, q)
    a = QueuedEngine.make(fake_ws, [bad]).answer(q, passages)
    assert a.fallback_reason and "failed verification" in a.fallback_reason
    assert "42" not in a.answer and "Anderson" not in a.answer and "[9]" not in a.answer
    assert a.verified
    for c in a.citations:
        assert c.quote in _article_text(fake_ws, c.article_id)


def test_stream_passes_on_only_verified_sentences(fake_ws):
    q = "Who interviewed Trump on CBS?"
    passages = retrieve(fake_ws, q)
    k = next(i for i, p in enumerate(passages, 1) if "Dokoupil" in p.text)
    text = f"Tony Dokoupil interviewed Trump on CBS [{k}]. Trump then won 99 awards [{k}]. More text [{k}]."
    shown: list[str] = []
    a = QueuedEngine.make(fake_ws, [text]).answer(q, passages, on_text=shown.append)
    assert "".join(shown).strip() == "Tony Dokoupil interviewed Trump on CBS [1]."
    assert a.fallback_reason  # the whole answer did not verify


def test_extractive_refuses_questions_about_things_no_article_mentions(fake_ws):
    for q in ("What did Apple announce in 2023?", "What is Tesla's revenue in 2019?"):
        a = ExtractiveEngine(fake_ws).answer(q, retrieve(fake_ws, q))
        assert a.refused and a.answer == CANNOT_ANSWER and a.citations == []


def test_engine_choice(fake_ws, monkeypatch):
    assert parse_engine(None, fake_ws.settings) is EngineName.extractive
    with pytest.raises(UsageError, match="unknown engine 'gpt'"):
        parse_engine("gpt", fake_ws.settings)
    with pytest.raises(UsageError, match="OPENAI_API_KEY"):
        make_engine(fake_ws, EngineName.openai)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    from rag.settings import load_settings

    assert load_settings().default_engine() is EngineName.openai


def test_llm_cache_replays_the_same_prompt_without_calling_the_model(fake_ws, tmp_path):
    from rag.models.cache import LLMCache

    q = "Who interviewed Trump on CBS?"
    passages = retrieve(fake_ws, q)
    cache = LLMCache(tmp_path / "llm")
    first = QueuedEngine.make(fake_ws, ["Tony Dokoupil interviewed Trump on CBS [1]."], cache=cache)
    a = first.answer(q, passages)
    second = QueuedEngine.make(fake_ws, ["a different reply that must not be used [1]."], cache=cache)
    b = second.answer(q, passages)
    assert a.answer == b.answer and getattr(second, "calls", 0) == 0
    third = QueuedEngine.make(fake_ws, ["Trump spoke to CBS [1]."], cache=cache)
    c = third.answer("What did Trump tell CBS?", passages)  # another prompt: the model is asked
    assert third.calls == 1 and c.question != a.question
