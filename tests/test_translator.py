"""German sentences read through a translation model: the cache, the fallback to the gloss, and
ingest translating what is stored. Plumbing with a fake translator; one real test with Gemma."""

import pytest

from rag.models import translator
from rag.text.crosslingual import gloss, in_english, usable

from conftest import make_ws

GERMAN = "Die Fabrik steht in Sachsen. Sie beschäftigt 400 Menschen."


def test_in_english_uses_known_translations_sentence_by_sentence_and_glosses_the_rest():
    known = {"Die Fabrik steht in Sachsen.": "The factory is in Saxony."}
    out = in_english(GERMAN, "de", known)
    assert out.startswith("The factory is in Saxony. ")
    assert out.endswith(gloss("Sie beschäftigt 400 Menschen."))
    assert in_english(GERMAN, "de") == gloss(GERMAN) == in_english(GERMAN, "de", {})
    assert in_english("The plant is in Saxony.", "en", known) == "The plant is in Saxony."


def test_a_translation_that_copies_the_german_back_is_not_used():
    copied = {"Die Fabrik steht in Sachsen.": "Die Fabrik steht in Sachsen."}
    source = "Die Fabrik steht in Sachsen."
    assert not usable(source, source) and not usable("  ", source)
    assert not usable("Die Fabrik is in Sachsen now.", source)  # mostly the source's words
    assert usable("The factory is in Saxony.", source)
    assert usable("Tesla said so on Friday.", "Tesla sagte das am Freitag.")
    assert in_english("Die Fabrik steht in Sachsen.", "de", copied) == gloss("Die Fabrik steht in Sachsen.")


def test_cache_is_keyed_by_model_and_prompt(tmp_path):
    a = translator.TranslationCache(tmp_path / "t.sqlite", "model-a")
    a.add([("Guten Tag.", "Good day.")])
    assert a.lookup(["Guten Tag.", "Danke."]) == {"Guten Tag.": "Good day."}
    b = translator.TranslationCache(tmp_path / "t.sqlite", "model-b")
    assert b.lookup(["Guten Tag."]) == {}  # another model's output is not reused


def test_a_custom_model_replaced_by_another_of_the_same_name_and_size_starts_afresh(tmp_path):
    import os

    from rag.settings import load_settings

    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + b"a" * 60)
    settings = load_settings(local={"model_path": gguf})
    first = translator.model_id(settings)
    gguf.write_bytes(b"GGUF" + b"b" * 60)
    os.utime(gguf, ns=(1_000_000_000, 1_000_000_000))
    assert translator.model_id(settings) != first


class CountingTranslator:
    def __init__(self, fail_at: int | None = None):
        self.seen: list[str] = []
        self.fail_at = fail_at

    def __call__(self, sentence: str) -> str:
        if self.fail_at is not None and len(self.seen) + 1 == self.fail_at:
            from rag.errors import LocalModelError

            raise LocalModelError("llama.cpp stopped")
        self.seen.append(sentence)
        return f"english of {sentence}"


def test_translate_missing_does_only_what_is_missing_and_keeps_work_when_interrupted(tmp_path):
    from rag.errors import LocalModelError

    store = translator.TranslationCache(tmp_path / "t.sqlite", "m")
    sentences = [f"Satz {i}." for i in range(40)]
    failing = CountingTranslator(fail_at=21)
    with pytest.raises(LocalModelError):
        translator.translate_missing(store, sentences, lambda: failing, batch=8)
    assert len(store.lookup(sentences)) == 20  # everything finished before the failure was saved
    again = CountingTranslator()
    assert translator.translate_missing(store, sentences + sentences[:3], lambda: again, batch=8) == 20
    assert again.seen == sentences[20:]
    assert translator.translate_missing(store, sentences, lambda: pytest.fail("model loaded for nothing")) == 0


@pytest.fixture
def fake_translation(monkeypatch, tmp_path):
    """Translation on, with a fake model and a cache of this test's own."""
    fake = CountingTranslator()
    monkeypatch.setenv("RAG_TRANSLATE", "true")
    monkeypatch.setenv("RAG_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr(translator, "available", lambda settings: settings.translate)
    monkeypatch.setattr(translator, "LlamaTranslator", lambda settings: fake)
    return fake


def test_ingest_translates_the_german_sentences_once(fake_translation, fake_embedder, seeds_copy):
    from rag.ingest.pipeline import ingest

    ws = make_ws(fake_embedder)
    report = ingest(ws, [seeds_copy])
    german = [r for r in ws.catalog.articles() if r.language == "de"]
    assert len(german) == 1 and report.translated == len(set(fake_translation.seen)) > 10
    assert all(s in german[0].text for s in fake_translation.seen)  # the German article's sentences only
    assert "German sentences translated" in report.summary()
    assert ingest(make_ws(fake_embedder), [seeds_copy]).translated == 0  # cached: nothing asked again
    known = make_ws(fake_embedder).known_english(fake_translation.seen[:2])
    assert known == {s: f"english of {s}" for s in fake_translation.seen[:2]}


def test_a_failed_translation_warns_and_keeps_what_was_stored(fake_translation, fake_embedder, seeds_copy):
    from rag.ingest.pipeline import ingest

    fake_translation.fail_at = 20  # past the first saved batch of 16
    ws = make_ws(fake_embedder)
    report = ingest(ws, [seeds_copy])
    assert len(report.added) == 5 and report.translated == 0
    assert len(report.warnings) == 1 and "were not translated (llama.cpp stopped)" in report.warnings[0]
    assert len(ws.known_english(fake_translation.seen)) == 19  # the translations made are kept
    fake_translation.fail_at = None
    assert ingest(make_ws(fake_embedder), [seeds_copy]).translated > 0  # the next ingest does the rest


def test_a_custom_model_path_that_is_no_file_warns_at_ingest(
    fake_translation, fake_embedder, seeds_copy, tmp_path, monkeypatch
):
    from rag.ingest.pipeline import ingest

    missing = tmp_path / "gone" / "model.gguf"
    monkeypatch.setenv("RAG_LOCAL__MODEL_PATH", str(missing))
    report = ingest(make_ws(fake_embedder), [seeds_copy])
    assert len(report.added) == 5 and report.translated == 0 and fake_translation.seen == []
    assert len(report.warnings) == 1 and str(missing) in report.warnings[0] and "not a file" in report.warnings[0]
    monkeypatch.delenv("RAG_LOCAL__MODEL_PATH")
    assert ingest(make_ws(fake_embedder), [seeds_copy]).warnings == []  # the packaged model: no warning


def test_a_damaged_translation_cache_warns_at_ingest_and_an_ask_reads_the_gloss(
    fake_translation, fake_embedder, seeds_copy, tmp_path
):
    from rag.ingest.pipeline import ingest

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "translations.sqlite").write_bytes(b"not a database" * 100)
    ws = make_ws(fake_embedder)
    report = ingest(ws, [seeds_copy])
    assert len(report.added) == 5 and "translation cache" in report.warnings[0]
    assert ws.translations is None and ws.known_english(["Die Fabrik steht in Sachsen."]) == {}


def test_without_the_local_engine_ingest_says_german_is_read_word_by_word(monkeypatch, fake_embedder, seeds_copy):
    from rag.ingest.pipeline import ingest

    monkeypatch.setenv("RAG_TRANSLATE", "true")
    monkeypatch.setattr(translator, "installed", lambda: False)
    report = ingest(make_ws(fake_embedder), [seeds_copy])
    assert len(report.added) == 5 and report.translated == 0
    assert len(report.warnings) == 1 and "install the local engine" in report.warnings[0]
    english_only = seeds_copy.parent / "english"
    english_only.mkdir()
    (english_only / "a.txt").write_text("Tesla opened a plant in Texas on Monday.\n\nIt employs 400 people.")
    assert ingest(make_ws(fake_embedder, home=seeds_copy.parent / "h2"), [english_only]).warnings == []


def test_an_overlong_sentence_is_not_sent_to_the_model_and_a_model_error_is_a_rag_error():
    from rag.errors import LocalModelError

    class Llm:
        def create_completion(self, prompt, **kw):
            raise ValueError("Requested tokens exceed context window")

    llm = object.__new__(translator.LlamaTranslator)
    llm.llm = Llm()
    assert llm("Wort " * (translator.MAX_WORDS + 1)) == ""
    with pytest.raises(LocalModelError, match="context window"):
        llm("Die Fabrik steht in Sachsen.")


def test_a_missing_custom_model_file_leaves_the_gloss_instead_of_failing_an_ask(monkeypatch, tmp_path):
    from rag.settings import load_settings

    monkeypatch.setattr(translator, "installed", lambda: True)
    settings = load_settings(translate=True, models_dir=tmp_path / "m", local={"model_path": tmp_path / "gone.gguf"})
    assert translator.cache(settings) is None
    (tmp_path / "gone.gguf").write_bytes(b"GGUF")
    assert translator.cache(settings) is not None


def test_translation_off_reads_german_through_the_gloss(fake_embedder, seeds_copy):
    from rag.ingest.pipeline import ingest

    ws = make_ws(fake_embedder)  # RAG_TRANSLATE=false, as in every test unless asked
    assert ingest(ws, [seeds_copy]).translated == 0 and ws.translations is None
    assert ws.known_english(["Die Fabrik steht in Sachsen."]) == {}


@pytest.mark.slow
def test_gemma_translates_a_german_news_sentence(real_ws):
    """The packaged Gemma 3 270M, as ingest runs it; real_ws translated the German seed."""
    llm = translator.LlamaTranslator(real_ws.settings)
    english = llm("Eines dieser Materialien ist eine dünne Schicht aus amorphem Silizium.")
    assert usable(english, "Eines dieser Materialien ist eine dünne Schicht aus amorphem Silizium.")
    assert "silicon" in english.lower()
    german = next(r for r in real_ws.catalog.articles() if r.language == "de")
    from rag.ingest.chunking import stored_sentences

    sentences = {s.text for s in stored_sentences(real_ws.catalog, german)}
    known = real_ws.known_english(sentences)
    assert len(known) == len(sentences) > 30  # ingest stored an English reading for every chunk sentence
    assert sum(usable(e, s) for s, e in known.items()) >= 0.7 * len(known)


def test_only_an_english_question_reads_the_translations():
    from rag.answer.selector import english_for

    from conftest import make_passage

    class Ws:
        def known_english(self, sentences):
            return {s: "English" for s in sentences}

    from rag.answer.evidence import evidence_sentences

    de, en = make_passage(GERMAN, "de1", language="de"), make_passage("The plant is in Texas.", "en1")
    sentences = evidence_sentences([de, en], {"de1": GERMAN, "en1": "The plant is in Texas."})
    assert set(english_for(Ws(), "en", sentences)) == {"Die Fabrik steht in Sachsen.", "Sie beschäftigt 400 Menschen."}
    assert english_for(Ws(), "de", sentences) == {}  # a German question compares gloss with gloss


def test_a_sentence_after_a_headline_is_read_in_its_translation_not_glossed_with_it():
    # a headline has no full stop; joined to the next sentence with a space, the two became one
    # "sentence" with no translation, and the reader saw the word-by-word gloss of both
    from rag.answer.evidence import evidence_sentences

    from conftest import make_passage

    text = "Neue Fabrik in Sachsen\nDie Fabrik beschäftigt 400 Menschen."
    known = {
        "Neue Fabrik in Sachsen": "New factory in Saxony",
        "Die Fabrik beschäftigt 400 Menschen.": "It employs 400.",
    }
    second = evidence_sentences([make_passage(text, "de1", language="de")], {"de1": text})[1]
    assert second.text == "Die Fabrik beschäftigt 400 Menschen."
    assert in_english(second.context, "de", known) == "New factory in Saxony It employs 400."
