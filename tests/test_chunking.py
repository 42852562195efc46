import pytest

from rag.ingest.articles import read_article
from rag.ingest.chunking import chunk_article, content_sentences, count_tokens
from rag.text.sentences import split_sentences

from conftest import SEEDS


def test_german_dates_and_abbreviations_do_not_end_sentences():
    text = "Am 13. Januar sagte Trump etwas. Die U.S. Regierung schwieg. Dr. Smith kam."
    assert [s.text for s in split_sentences(text)] == [
        "Am 13. Januar sagte Trump etwas.",
        "Die U.S. Regierung schwieg.",
        "Dr. Smith kam.",
    ]


def test_sentence_spans_are_exact():
    text = "  First one. Second one!\nThird „quoted.“ Fourth?"
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text


def _chunks(prefix, **kw):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    article = read_article(path, path.name, 10**7)
    return article, chunk_article(article, **kw)


def test_chunks_respect_token_limit_and_spans():
    for prefix in ("000", "001", "002", "003", "004"):
        article, chunks = _chunks(prefix, max_tokens=120, overlap_tokens=30)
        assert len(chunks) >= 2
        for c in chunks:
            assert c.tokens <= 120 and count_tokens(c.text) <= 120 + 5
            inside = [u.text for u in content_sentences(article) if c.start <= u.start and u.end <= c.end]
            assert c.text == " ".join(inside)  # exactly the article's own sentences in its span


def test_neighbouring_chunks_overlap_by_whole_sentences():
    _, chunks = _chunks("002", max_tokens=120, overlap_tokens=40)
    overlaps = [a.end > b.start for a, b in zip(chunks, chunks[1:])]
    assert any(overlaps)
    assert all(b.start > a.start for a, b in zip(chunks, chunks[1:]))


def test_chunk_ids_are_stable_and_positional():
    _, first = _chunks("001")
    _, again = _chunks("001")
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert first[0].chunk_id.endswith("-0000") and first[0].chunk_id.startswith(first[0].article_id)


def test_boilerplate_never_reaches_a_chunk():
    _, chunks = _chunks("000")
    assert not any("appeared first on" in c.text for c in chunks)
    _, chunks = _chunks("003")
    assert not chunks[0].text.startswith("Advertising")


def test_abbreviated_months_of_either_language_do_not_end_sentences():
    text = "Im Okt. 2025 begann der Bau. On Sept. 3 it ended."
    assert [s.text for s in split_sentences(text)] == ["Im Okt. 2025 begann der Bau.", "On Sept. 3 it ended."]


def test_a_datelines_abbreviated_state_does_not_end_a_sentence():
    """US datelines abbreviate states ("PALO ALTO, Calif. —"); elsewhere a dash after a period
    can start the next sentence."""
    text = (
        "PALO ALTO, Calif. — Apple said it would cut 600 jobs. Shares fell. It moved to Portland, Ore. Its staff left."
    )
    assert [s.text for s in split_sentences(text)] == [
        "PALO ALTO, Calif. — Apple said it would cut 600 jobs.",
        "Shares fell.",
        "It moved to Portland, Ore.",
        "Its staff left.",
    ]


@pytest.mark.parametrize("dash", ["-", "--", "–"])
def test_datelines_with_any_dash(dash):
    text = f"PALO ALTO, Calif. {dash} Apple said it would cut jobs. Shares fell."
    assert [s.text for s in split_sentences(text)] == [
        f"PALO ALTO, Calif. {dash} Apple said it would cut jobs.",
        "Shares fell.",
    ]


def test_a_dash_between_two_sentences_still_splits_them():
    text = "He left. — Next item: the budget. Der Kurs fiel. – Die Bank reagierte sofort."
    assert [s.text for s in split_sentences(text)] == [
        "He left.",
        "— Next item: the budget.",
        "Der Kurs fiel.",
        "– Die Bank reagierte sofort.",
    ]
