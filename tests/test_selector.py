"""The answer selector's decision rule (rag/answer/selector.py) on hand-made candidates, and the shipped
fitted model."""

import pytest

from rag.answer import selector
from rag.answer.confidence import answer_features
from rag.answer.evidence import FEATURES
from rag.spans import Evidence

from conftest import make_passage

MODEL = selector.Model(
    weights={k: (1.0 if k == "cov" else 0.0) for k in FEATURES},
    answer_weights={k: (1.0 if k == "top" else 0.0) for k in selector.ANSWER_FEATURES},
    answer_bias=0.0,
    answer_threshold=0.6,
    closest_threshold=0.3,
    keep_ratio=0.5,
)


def cand(text: str, cov: float, type_ok: float = 1.0, names_art: float = 1.0, source: str = "a.txt") -> Evidence:
    p = make_passage(text, article=source.removesuffix(".txt"))
    feats = {k: 0.0 for k in FEATURES} | {"cov": cov, "type_ok": type_ok, "names_art": names_art, "names_ctx": 1.0}
    return Evidence(0, len(text), text, passage=p, features=feats)


def decide(*cands):
    return selector.select(MODEL, selector.rank(MODEL, list(cands)))


def test_confident_best_sentence_answers_and_close_ones_join():
    sel = decide(
        cand("Sales rose 5% in May.", 2.0), cand("Profit fell 3% in June.", 1.5), cand("The weather was fine.", 0.1)
    )
    assert [e.text for e in sel.chosen] == ["Sales rose 5% in May.", "Profit fell 3% in June."]  # exp(-0.5) >= 0.5
    assert sel.closest == []


def test_near_copies_are_not_repeated():
    sel = decide(
        cand("Sales rose 5% in May, the firm said.", 2.0),
        cand("Sales rose 5% in May, the firm said on Monday.", 1.9, source="b.txt"),
    )
    assert len(sel.chosen) == 1


def test_below_threshold_refuses_with_closest_passages():
    sel = decide(cand("Sales rose in May.", 0.4), cand("Profit fell.", 0.35), cand("Rain.", -3.0))
    assert sel.chosen == [] and [e.text for e in sel.closest] == ["Sales rose in May.", "Profit fell."]


def test_irrelevant_candidates_give_a_flat_refusal():
    sel = decide(cand("Rain.", -2.0), cand("Snow.", -3.0))
    assert sel.chosen == [] and sel.closest == []


@pytest.mark.parametrize("type_ok, names_art", [(0.0, 1.0), (1.0, 0.0)])
def test_an_answer_must_offer_the_asked_type_from_a_passage_about_the_names(type_ok, names_art):
    wrong_kind = cand("The company said it was pleased.", 3.0, type_ok=type_ok, names_art=names_art)
    sel = decide(wrong_kind, cand("Sales rose 5% in May.", 1.0))
    assert sel.chosen == [] or sel.chosen[0].text == "Sales rose 5% in May."
    assert wrong_kind not in sel.chosen


def test_shipped_model_matches_the_features_and_was_fitted():
    m = selector.shipped()
    assert set(m.weights) == set(FEATURES) and set(m.answer_weights) == set(selector.ANSWER_FEATURES)
    assert 0.0 < m.closest_threshold <= m.answer_threshold < 1.0
    assert m.weights["cov"] > 0 and m.weights["sim"] > 0  # a sentence covering the question should rank higher
    assert m.reader_weight > 0 and m.reader_top >= 3  # the fit found the reader worth reading
    assert m.answer_weights["reader"] > 0  # a sentence the reader likes is more often right


def reader_model(weight: float, top: int = 2) -> selector.Model:
    return selector.Model(**{**MODEL.__dict__, "reader_weight": weight, "reader_top": top})


def test_the_reader_reranks_the_rankers_top_sentences():
    cands = [cand("Profit fell 3%.", 2.0), cand("Sales rose 5% in May.", 1.5), cand("It rained 9 days.", 1.0)]
    asked = []

    def reader(top):
        asked.append([e.text for e in top])
        return [0.0 if "Profit" in e.text else 2.0 for e in top]

    ranked = selector.read(reader_model(1.0), selector.rank(MODEL, cands), reader)
    assert asked == [["Profit fell 3%.", "Sales rose 5% in May."]]  # only the top two are read
    assert [e.text for e in ranked] == ["Sales rose 5% in May.", "Profit fell 3%.", "It rained 9 days."]
    assert ranked[0].score == pytest.approx(3.5) and ranked[0].reader == 2.0 and ranked[2].reader == 0.0


def test_a_reader_weight_of_zero_keeps_the_rankers_order():
    cands = [cand("Profit fell 3%.", 2.0), cand("Sales rose 5% in May.", 1.5)]
    ranked = selector.read(reader_model(0.0), selector.rank(MODEL, cands), lambda top: [0.0, 9.0])
    assert [e.text for e in ranked] == ["Profit fell 3%.", "Sales rose 5% in May."]


def reading_model(weights: tuple[float, ...], offset: float) -> selector.Model:
    return selector.Model(**{**MODEL.__dict__, "reading_weights": weights, "reading_offset": offset})


def test_the_best_sentences_reading_moves_the_answer_probability():
    """Two best sentences alike in score: the one whose reading looks like an answer is more
    likely right; one the reader did not read counts as an average reading (the offset)."""
    model = reading_model((2.0, 0.0, -1.0), -1.0)
    answers, echoes, unread = (cand(t, 1.0) for t in ("Sales rose 5%.", "Sales were discussed.", "Sales."))
    answers.reading, echoes.reading = (1.0, 5.0, 0.0), (0.0, 5.0, 1.0)
    plain = MODEL.answer_probability([unread])
    assert model.answer_probability([answers]) > plain > model.answer_probability([echoes])
    assert model.answer_probability([unread]) == pytest.approx(plain)
    with pytest.raises(RuntimeError, match="fit_selector"):
        model.answer_probability([_with_reading((1.0, 2.0))])  # another reader's size


def _with_reading(reading: tuple[float, ...]) -> Evidence:
    e = cand("Sales rose 5%.", 1.0)
    e.reading = reading
    return e


def test_readings_come_with_the_readers_scores_and_survive_the_json():
    cands = [cand("Profit fell 3%.", 2.0), cand("Sales rose 5% in May.", 1.5)]
    ranked = selector.read(reader_model(1.0), selector.rank(MODEL, cands), lambda top: [(0.0, (0.1,)), (2.0, (0.9,))])
    assert [(e.text, e.reading) for e in ranked] == [("Sales rose 5% in May.", (0.9,)), ("Profit fell 3%.", (0.1,))]
    model = reading_model((0.5, -0.25), 0.125)
    again = selector.Model.from_json(model.to_json())
    assert again.reading_weights == (0.5, -0.25) and again.reading_offset == 0.125


def test_ineligible_sentences_are_not_read_nor_answer():
    wrong_kind = cand("The company was pleased.", 3.0, type_ok=0.0)
    ranked = selector.read(
        reader_model(1.0), selector.rank(MODEL, [wrong_kind, cand("Sales rose 5%.", 1.0)]), lambda top: [1.0]
    )
    assert ranked[0].text == "Sales rose 5%." and wrong_kind.reader == 0.0


def test_choose_hands_the_reader_the_question_and_sentences_in_english(fake_ws):
    from rag.retrieval.search import retrieve
    from rag.text.crosslingual import in_english

    question = "Wie hoch ist der Umsatz von SpaceX?"
    passages = retrieve(fake_ws, question)
    texts = {p.article_id: fake_ws.catalog.article(p.article_id).text for p in passages}
    selector.choose(fake_ws, question, passages, texts)
    (asked_question, sentences), *_ = fake_ws.reader.asked
    assert asked_question == in_english(question, "de") != question  # MiniLM reads English
    assert 0 < len(sentences) <= selector.shipped().reader_top


def test_choose_gives_each_sentence_what_it_adds_to_the_question(fake_ws, monkeypatch):
    """The answer model's corroboration inputs come from `adds`, which choose fills in."""
    from rag.retrieval.search import retrieve

    seen = []
    monkeypatch.setattr(selector, "select", lambda model, cands, kind: seen.append((cands, kind)))
    question = "How many jobs will Tesla cut?"
    passages = retrieve(fake_ws, question)
    selector.choose(
        fake_ws, question, passages, {p.article_id: fake_ws.catalog.article(p.article_id).text for p in passages}
    )
    ((cands, kind),) = seen
    assert kind == "number"
    with_figures = [e for e in cands if any(ch.isdigit() for ch in e.text)]
    assert with_figures and all(e.adds for e in with_figures)
    assert not any("tesla" in e.adds for e in cands)  # the question names it


def test_a_refusal_shows_the_closest_by_final_score_read_or_not():
    strict = selector.Model(**{**MODEL.__dict__, "answer_threshold": 0.99, "reader_weight": 1.0, "reader_top": 2})
    unread = cand("The company was pleased with the talks.", 0.9, type_ok=0.0)  # not of the asked kind
    cands = [unread, cand("Sales rose 5% in May.", 0.5), cand("Profit fell 3%.", 0.4)]
    ranked = selector.read(strict, selector.rank(strict, cands), lambda top: [0.0, -1.0])
    sel = selector.select(strict, ranked)
    assert sel.chosen == [] and [e.text for e in sel.closest] == [unread.text, "Sales rose 5% in May."]


def test_missing_reader_weights_are_a_clear_error(tmp_path):
    from rag.errors import LocalModelError
    from rag.models.cross_encoder import CrossEncoder

    reader = CrossEncoder(tmp_path / "models", tmp_path / "gone.npz")
    assert not reader.ready
    with pytest.raises(LocalModelError, match="gone.npz"):
        reader.prepare()


def test_the_answer_model_sees_whether_the_best_sentence_is_in_the_other_language():
    best = {k: 0.5 for k in FEATURES} | {"cross": 1.0}
    feats = answer_features([2.0, 1.0], best, [0.5, 0.1])
    assert set(feats) == set(selector.ANSWER_FEATURES) and feats["cross"] == 1.0
    assert answer_features([2.0, 1.0], best | {"cross": 0.0}, [0.5, 0.1])["cross"] == 0.0


def test_the_kind_of_answer_asked_for_moves_the_probability():
    """Each kind of question is right at its own rate: the fitted model may trust a date more than
    a name; select passes the question's kind on."""
    dates = selector.Model(**{**MODEL.__dict__, "answer_weights": MODEL.answer_weights | {"kind_date": -5.0}})
    best = selector.rank(dates, [cand("Sales rose 5% in May.", 1.0)])
    assert dates.answer_probability(best, "date") < dates.answer_probability(best, "name")
    assert dates.answer_probability(best, "name") == pytest.approx(MODEL.answer_probability(best))
    assert selector.select(dates, best, "name").chosen and not selector.select(dates, best, "date").chosen


def _fit_selector():
    import importlib
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    return importlib.import_module("fit_selector")


def test_the_readers_spent_batches_are_read_from_its_weights(tmp_path, monkeypatch):
    import numpy as np

    from rag.models import cross_encoder as ce

    fit_selector = _fit_selector()
    weights = tmp_path / "reader.npz"
    np.savez_compressed(weights, **{"meta.rank": np.array(4), "meta.spent": np.array("test2,test5")})
    monkeypatch.setattr(ce, "shipped_weights", lambda: weights)
    assert fit_selector.reader_spent() == ["test2", "test5"]
    np.savez_compressed(weights, **{"meta.rank": np.array(4)})  # a reader fitted before the key existed
    assert fit_selector.reader_spent() == []


def test_the_shipped_selector_was_not_fitted_on_what_the_reader_learnt_from():
    """A selector fitted on questions the reader was trained on would trust the reader too much."""
    import json
    import re

    from conftest import ROOT

    fitted = json.loads((ROOT / "rag" / "data" / "selector.json").read_text(encoding="utf-8"))
    # fits since session 15 list them; the older one says "test2-test10"
    named = set(fitted.get("spent", []))
    for lo, hi in re.findall(r"test(\d+)-test(\d+)", fitted["fitted_on"]):
        named |= {f"test{n}" for n in range(int(lo), int(hi) + 1)}
    assert named  # the fit says which batches it used
    assert not named & set(_fit_selector().reader_spent())


def test_only_batches_already_run_can_be_fitted_on():
    fit_selector = _fit_selector()
    assert fit_selector.spent_batches(" test3,test2,test3 ") == ["test3", "test2"]
    for name in ("train", "dev", "test", "test99"):  # the reader's own banks, checks, locked batches
        with pytest.raises(SystemExit, match=name):
            fit_selector.spent_batches(f"test2,{name}")
