"""The pattern set in rag/text/facts.py and the dictionary reader: each test names the general
language phenomenon a pattern handles (not an eval question)."""

import pytest

from rag.text import facts as tf
from rag.text.dictionary import parse_line
from rag.text.facts import AnswerType as T


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When did the strike begin?", T.date),  # wh-word for time
        ("On what date was the drug approved?", T.date),  # "what/which + time noun"
        ("Wann begann der Streik?", T.date),  # German wh-word for time
        ("An welchem Tag wurde das Werk eröffnet?", T.date),
        ("How many workers joined the strike?", T.number),  # quantity questions
        ("What percentage of staff lost their jobs?", T.number),
        ("Wie viele Menschen wurden evakuiert?", T.number),
        ("Where will the plant be built?", T.place),  # location questions
        ("In which city is the company based?", T.place),
        ("Wo steht das neue Werk?", T.place),
        ("Who leads the union?", T.name),  # person/organisation questions
        ("Which company bought the start-up?", T.name),
        ("Wer führt das Unternehmen?", T.name),
        ("Was the supplier named?", T.yes_no),  # auxiliary-first questions
        ("Hat Tesla schon unterschrieben?", T.yes_no),
        ("Why did the shares fall?", T.other),  # no checkable answer type
    ],
)
def test_answer_type_of_a_question(question, kind):
    assert tf.answer_type(question) is kind


def test_names_skip_sentence_initial_capitals_months_and_weekdays():
    text = "The union said on Friday that Sandra Ohlsen met BaFin officials in March. Später sprach Brandt."
    assert tf.names(text) == ["sandra", "ohlsen", "bafin", "brandt"]


def test_names_keep_letter_digit_names_and_drop_possessives():
    assert tf.names("Shipments of the H20 chip and Kestrel’s SkyNet-1 satellite") == ["h20", "kestrel", "skynet-1"]


@pytest.mark.parametrize(
    "text, has",
    [
        ("The plant will employ 2,000 people.", True),  # digits
        ("Three ships were waiting.", True),  # number words, English
        ("Mehrere Hundert Häuser standen unter Wasser.", True),  # number words, German
        ("The union called a strike.", False),
    ],
)
def test_has_number(text, has):
    assert tf.has_number(text) is has


@pytest.mark.parametrize(
    "text, has",
    [
        ("The plant opens in 2029.", True),  # a year
        ("Stand: 19.01.2026", True),  # day-first numeric dates
        ("It was announced on Tuesday.", True),  # weekday
        ("Der Pegel stieg in der Nacht zum Donnerstag.", True),  # German weekday
        ("Die Entscheidung fiel im März.", True),  # German month
        ("The shares fell sharply.", False),
    ],
)
def test_has_date(text, has):
    assert tf.has_date(text) is has


def test_offers_a_name_only_when_the_question_lacks_it():
    q_stems = {"nordw", "energ"}
    assert tf.offers(T.name, "Nordwind Energie named Jonas Reimer interim chief.", q_stems) == 1.0
    assert tf.offers(T.name, "the company said Nordwind Energie would recover.", q_stems) == 0.0
    assert tf.offers(T.other, "anything", q_stems) == 0.5


def test_ding_line_aligns_inflected_forms_and_drops_notes():
    line = "trainieren; üben {vt} | trainierend; übend | trainiert; geübt :: to train | training | trained"
    pairs = {(lang, key): words for lang, key, words in parse_line(line)}
    assert pairs[("de", "trainiert")] == ["trained"]  # aligned sub-entries: inflections map to inflections
    assert pairs[("en", "train")] == ["trainieren", "üben"]  # "to " of English infinitives removed
    assert ("de", "üben") in pairs and not any("{" in k for _, k in pairs)


def test_ding_line_keeps_two_word_phrases_and_skips_comments():
    pairs = {
        (lang, key): words
        for lang, key, words in parse_line(
            "Denkfabrik {f}; Ideenschmiede {f} [pol.] :: think tank; thought factory [Am.]"
        )
    }
    assert pairs[("en", "think tank")] == ["denkfabrik", "ideenschmiede"]
    assert pairs[("de", "denkfabrik")][:2] == ["think", "tank"]
    assert parse_line("# Version :: devel") == []


def test_ding_abbreviations_become_keys():
    pairs = {
        (lang, key): words
        for lang, key, words in parse_line(
            "Geschäftsführer {m} /GF/ :: chief executive officer /CEO/; managing director"
        )
    }
    assert pairs[("en", "ceo")][:1] == ["geschäftsführer"] and ("de", "gf") in pairs


def test_lexicon_month_table_serves_dates_and_sentence_ends():
    from rag.text.lexicon import MONTH_ABBREVIATIONS, MONTH_NAMES, MONTHS

    assert MONTHS["märz"] == MONTHS["mar"] == MONTHS["march"] == 3 and MONTHS["jänner"] == 1
    assert {"jan", "okt", "sept", "mär"} <= MONTH_ABBREVIATIONS  # a period after them does not end a sentence
    assert {"mai", "juni", "may", "januar"} <= MONTH_NAMES and not MONTH_NAMES & MONTH_ABBREVIATIONS


def test_lexicon_number_words_counts_have_values_multipliers_do_not():
    from rag.text.lexicon import NUMBER_WORDS

    assert NUMBER_WORDS["zwölf"] == NUMBER_WORDS["twelve"] == 12
    assert NUMBER_WORDS["million"] is None and "million" in NUMBER_WORDS


def test_language_of_questions_articles_and_lists():
    from rag.text.lexicon import language_of

    assert language_of("Wer hat das Werk gebaut?") == "de"
    assert language_of("Who built the plant?") == "en"
    assert language_of("Müller, Schmidt, Meier", min_hints=3) == "und"  # too few function words to tell
    assert language_of("Die Fabrik in Grünheide ist größer als die in Austin.", min_hints=3) == "de"
