from rag.answer.result import CANNOT_ANSWER
from rag.answer.verify import unsupported, verify

from conftest import make_passage

ART = (
    "Tesla signed a deal with Acme Corp in March. The cells reach 24% efficiency.\n"
    "David Sacks said China is three to six months behind."
)


def passages():
    return [make_passage(ART, title="Title A")]


def test_supported_answer_gets_verbatim_quotes():
    v = verify("The cells reach 24% efficiency [1].", passages(), {"a": ART})
    assert v.ok and not v.refused
    assert v.citations[0].quote == "The cells reach 24% efficiency."
    c = v.citations[0]
    assert ART[c.start : c.end] == c.quote


def test_unknown_markers_are_stripped_and_flagged():
    v = verify("Tesla signed a deal with Acme Corp [1][7].", passages(), {"a": ART})
    assert "[7]" not in v.text and "[1]" in v.text
    assert not v.ok and any("unknown citation [7]" in p for p in v.problems)


def test_made_up_numbers_and_names_are_caught():
    assert unsupported("The cells reach 31% efficiency.", ART) == ["31"]
    assert unsupported("Elon Musk signed with Acme Corp.", ART) == ["Elon", "Musk"]
    v = verify("The cells reach 31% efficiency [1].", passages(), {"a": ART})
    assert not v.ok


def test_uncited_sentence_fails():
    v = verify("Tesla signed a deal [1]. It will change everything.", passages(), {"a": ART})
    assert not v.ok and any("no citation" in p for p in v.problems)


def test_markers_renumbered_by_first_appearance():
    two = passages() + [make_passage("Other text about Acme.", article="b", title="B", score=0.5)]
    v = verify(
        "Acme is mentioned [2]. The cells reach 24% efficiency [1].", two, {"a": ART, "b": "Other text about Acme."}
    )
    assert v.ok and v.text == "Acme is mentioned [1]. The cells reach 24% efficiency [2]."
    assert [c.source for c in v.citations] == ["b.txt", "a.txt"]


def test_marker_after_a_closing_quote_belongs_to_the_sentence():
    art = "Trump sagte: „Wir sind voraus.“ Danach ging er."
    p = [make_passage(art, article="c", title="C", language="de")]
    v = verify("Trump sagte: „Wir sind voraus.“ [1]", p, {"c": art})
    assert v.ok and v.citations[0].quote == "Trump sagte: „Wir sind voraus.“"


def test_refusal_is_recognised():
    v = verify(CANNOT_ANSWER, passages(), {"a": ART})
    assert v.ok and v.refused and v.citations == []


def test_dotted_abbreviations_match_their_undotted_form():
    # "U.S." in an answer is supported by a text that writes "US"; an unknown name is not
    assert unsupported("The U.S. signed the deal.", "The US signed the deal with Acme.") == []
    assert unsupported("The U.K. signed the deal.", "The US signed the deal with Acme.") == ["U.K"]
