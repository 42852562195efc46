"""Reading German as English for story grouping (rag/crosslingual.py: english and its helpers,
rag/dictionary.py: the headword gloss table). Each test names the general language phenomenon;
the dictionary is a handful of real Ding lines, so the tests do not depend on the installed one."""

from __future__ import annotations

import pytest

from rag.text.crosslingual import compound, english, inflected, name_words, names
from rag.text.dictionary import Dictionary, compile_dictionary, gloss_entries

DING = """\
Menstruationszyklus {m}; Regel {f}; Periode {f}; Tage {pl} [ugs.] :: menstrual cycle; period; menses [coll.]
Tag {m} | Tage {pl} :: day | days
Rechenzentrum {n} | Rechenzentren {pl} :: computing centre [Br.]; data centre [Br.] | computing centres
Betreiber {m} (einer Anlage) | Betreiber {pl} :: operator | operators
Berechnung {f} | Berechnungen {pl} :: calculation | calculations
sächsisch {adj} :: Saxon
Hochwasser {n} :: high water; flood
Strom {m} (als Energiequelle) :: electricity
Norden {m} :: north
München {n} [geogr.] :: Munich
Reim {m} :: rhyme
Nordwind {m} [meteo.] | Nordwinde {pl} :: north wind | north winds
Elf {f} :: elf
Hausen {m} [zool.] :: beluga
jdm. etw. leisten :: to afford sb. sth.
"""


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ding")
    (folder / "de-en").write_text(DING, encoding="utf-8")
    return Dictionary(compile_dictionary(folder / "de-en", folder / "d.sqlite"))


def test_a_words_gloss_is_the_sense_of_the_entry_it_heads(d):
    # "Tage" is the fifth synonym of the menstruation entry (first in the file) but heads the
    # plural of "Tag": its reading is "days"
    assert d.gloss_phrase("tage") == "days"
    # the whole first English alternative (not its first word), written as the dictionary writes it
    assert d.gloss_phrase("rechenzentrum") == "computing centre"
    assert d.gloss_phrase("münchen") == "Munich"
    assert d.gloss_phrase("unbekannt") is None


def test_gloss_entries_drop_placeholders_pronouns_and_articles():
    # the word a sub-entry is about, without sth./etw., the pronouns of conjugated forms, articles
    assert gloss_entries("jdm. etw. leisten :: to afford sb. sth.") == [("leisten", 0, "afford")]
    got = gloss_entries(
        "etw. sagen {vt} | gesagt | ich/er/sie sagte | er/sie sagt auf :: to say sth. | said | "
        "I/he/she said | he/she recites"
    )
    assert ("sagte", 0, "said") in got and not any(w == "auf" for w, _, _ in got)  # "sagt auf": two words
    assert gloss_entries("Mensch {m} | die Menschen {pl} :: human being | humans")[1] == ("menschen", 0, "humans")
    assert gloss_entries("# comment :: x") == []


def test_inflected_form_is_read_through_its_stem(d):
    assert inflected("berechnungen", d) == "calculations"  # listed as the plural itself
    assert inflected("sächsischen", d) == "Saxon"  # adjective ending -en removed
    assert inflected("reimer", d) == "rhyme" and inflected("reimer", d, ("en", "s")) is None  # -er: a name's end


def test_compound_the_dictionary_lacks_is_read_through_its_parts(d):
    # modifier + linking -s- + head
    assert compound("rechenzentrumsbetreiber", d) == "computing centre operator"
    assert compound("stromnorden", d) == "electricity north"
    assert compound("xyzabcbetreiber", d) is None  # an unknown modifier: no reading


def test_german_sentence_reads_as_english_words(d):
    got = english("Der Strom kommt aus dem Norden. Die Tage mit Hochwasser.", d)
    assert got == "The electricity kommt from the north. The days with high water."
    # compounds and inflections inside a sentence
    got = english("Nach Berechnungen der Rechenzentrumsbetreiber", d)
    assert got == "After calculations the computing centre operator"


def test_capitalised_german_nouns_are_no_names_but_names_stay(d):
    text = "Die Stadt erwartet Hochwasser in Elbhausen, sagte Anna Reimer in München."
    got = english(text, d)
    assert "high water" in got and "Munich" in got
    # short capitalised words the dictionary only knows split or stripped of -er are names
    assert "Elbhausen" in got and "Reimer" in got
    assert {"elbha", "reime", "munic"} <= names(got) and "hochw" not in names(got)


def test_a_german_word_english_reports_write_as_a_name_stays_a_name(d):
    english_report = "Shares in Nordwind Energie-AG fell on Monday."
    keep = name_words(english_report)
    assert {"nordwind", "energie", "ag"} <= keep and "shares" not in keep  # sentence start is no name
    assert english("Die Aktie von Nordwind fiel.", d) == "The Aktie of north wind fiel."
    assert english("Die Aktie von Nordwind fiel.", d, keep) == "The Aktie of Nordwind fiel."


def test_function_words_are_capitalised_at_a_sentence_start_only(d):
    # "Unter- und Mittelelbe": a truncated compound, not a name "Under"
    assert english("Die Elbe. An der Unter- und Mittelelbe", d) == "The Elbe. At the under- and Mittelelbe"
    assert "under" not in names(english("Die Welle rollt an der Unter- und Mittelelbe vorbei.", d))
