"""The answer model's inputs (rag/answer/confidence.py): what corroborates an answer."""

from rag.answer.confidence import AGREE_WITH, answer_features, specifics
from rag.answer.evidence import FEATURES
from rag.text.words import term_set

BEST = {k: 0.5 for k in FEATURES}


def test_specifics_are_the_figures_and_names_the_question_lacks():
    asked = term_set("How many jobs will Norveld cut in Flöha?")
    found = specifics(["Norveld will cut 1,200 jobs in Flöha, chief executive Anna Petrov said."], asked)
    assert found == {"1200", "anna", "petrov"}  # digits only: 1,200 = 1.200 = 1200


def test_a_figure_written_the_german_way_is_the_same_specific():
    asked = term_set("How many jobs?")
    assert specifics(["1.200 Stellen fallen weg."], asked) & specifics(["1,200 jobs go."], asked) == {"1200"}


def test_every_rendering_of_a_sentence_counts():
    """A German sentence is read as written and in English: its names in either (a name opening a
    sentence is not told from a capitalised first word, so here only the English shows it)."""
    asked = term_set("Who leads the plant?")
    assert "weber" not in specifics(["Weber leitet das Werk."], asked)
    assert "weber" in specifics(["Weber leitet das Werk.", "The plant is led by Weber."], asked)


def _agree(adds, articles):
    return answer_features([1.0] * len(adds), BEST, [0.0] * len(adds), "number", adds, articles)["agree"]


def test_other_articles_stating_the_same_specific_corroborate_the_best_sentence():
    best = frozenset({"1200"})
    assert _agree([best, frozenset({"1200", "may"}), frozenset({"90"})], ["a", "b", "c"]) == 1 / AGREE_WITH
    assert _agree([best, frozenset({"1200"})], ["a", "a"]) == 0.0  # its own article is no witness
    many = [best] + [frozenset({"1200"})] * (AGREE_WITH + 3)
    assert _agree(many, ["a"] + [f"o{i}" for i in range(AGREE_WITH + 3)]) == 1.0  # the next few only


def test_a_best_sentence_with_nothing_new_has_nothing_to_corroborate():
    feats = answer_features([1.0, 0.5], BEST, [0.2, 0.1], "name", [frozenset(), frozenset()], ["a", "b"])
    assert feats["adds"] == 0.0 and feats["agree"] == 0.0


def test_kind_and_reader_summaries():
    feats = answer_features([3.0, 1.0], BEST, [2.0, -1.0], "date", [frozenset()] * 2, ["a", "b"])
    assert feats["kind_date"] == 1.0 and feats["kind_name"] == 0.0
    assert (feats["reader_top"], feats["reader_margin"], feats["read"], feats["articles"]) == (2.0, 3.0, 0.2, 0.2)
    other = answer_features([3.0], BEST, None, "other")
    assert not any(other[k] for k in ("kind_name", "kind_date", "kind_number", "kind_place", "kind_yes_no"))
    assert (other["reader"], other["reader_top"], other["read"]) == (0.0, 0.0, 0.0)
