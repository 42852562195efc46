"""Publication dates in common English and German forms (rag/text/dates.py), and headlines that are
never dates, datelines, bylines or section labels (rag/ingest/headlines.py)."""

from datetime import date

import pytest

from rag.ingest import headlines
from rag.text import dates

D = date(2026, 3, 12)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-03-12", D),
        ("2026-03-12T08:15:00+01:00", D),
        ("Published 2026-03-12 09:30", D),
        ("12.03.2026", D),
        ("12.3.2026", D),
        ("Stand: 12.03.2026, 07:01 Uhr", D),
        ("12.03.2026 - 07:01:12", D),
        ("Veröffentlicht am 12.3.2026 um 18:40", D),
        ("12. 3. 2026", D),
        ("3/12/2026", D),
        ("Published 3/12/2026", D),
        ("13/3/2026", date(2026, 3, 13)),  # day-first when the first number cannot be a month
        ("March 12, 2026", D),
        ("March 12 2026", D),
        ("Mar. 12, 2026", D),
        ("Mar 12, 2026", D),
        ("March 12th, 2026", D),
        ("12 March 2026", D),
        ("12th March 2026", D),
        ("12 Mar 2026", D),
        ("12 Mar, 2026", D),
        ("Updated: 4:43pm, 12 Mar, 2026", D),
        ("Thu 12 Mar 2026 09.30 GMT", D),
        ("Thursday, March 12, 2026", D),
        ("12-Mar-2026", D),
        ("12. März 2026", D),
        ("12. Maerz 2026", D),
        ("Donnerstag, 12. März 2026", D),
        ("12. Mär. 2026", D),
        ("22. Okt. 2025", date(2025, 10, 22)),
        ("Mittwoch, 22. Oktober 2025", date(2025, 10, 22)),
        ("1. Dezember 2025, 11:30 Uhr", date(2025, 12, 1)),
        ("BEIJING, February 7, 2026, 01:15 GMT+8", date(2026, 2, 7)),
        ("Sept. 15, 2025", date(2025, 9, 15)),
        ("16 July, 2025", date(2025, 7, 16)),
        ("Updated: 4:43pm, 26 Oct, 2021", date(2021, 10, 26)),
        ("12.03.26", D),  # the German short form
        ("Stand: 12.03.26, 14:05 Uhr", D),
        ("Version 12.03.26.1", None),  # a version number, not a date
        ("1.2.26", None),  # too short to be sure
        ("Firmware v12.03.26", None),
        ("12.03.265", None),
        ("Stand: 12.03.98", None),  # not 2098
        ("31.02.2026", None),  # no such day
        ("The plant opens in 2029.", None),  # a year alone is no date
        ("Room 12.03", None),
    ],
)
def test_date_forms(text, expected):
    assert dates.parse(text) == expected


def test_publication_date_prefers_a_marked_header_line_over_body_dates():
    text = (
        "Wirtschaft\nNordwind eröffnet Windpark\nVon Jens Hartmann\nStand: 13.03.2026, 07:01 Uhr\n"
        "Am 12. März 2026 hat Nordwind Energie den Windpark Helgoland Süd eröffnet, wie das Unternehmen "
        "mitteilte. " * 3
    )
    assert dates.publication_date(text) == date(2026, 3, 13)


def test_a_date_only_in_the_body_is_not_a_publication_date():
    text = (
        "Calder to cut 600 jobs and close its Reno plant\nBy Laura Finch\n"
        + "The company said on September 14, 2025 that it would close the plant, in a long statement "
        "that also named the chief executive and gave reasons for the decision over several pages. " * 3
    )
    assert dates.publication_date(text) is None


@pytest.mark.parametrize(
    "line",
    [
        "16 July, 2025",
        "BEIJING, February 7, 2026, 01:15 GMT+8",
        "Stand: 19.01.2026, 06:45 Uhr",
        "09.02.2026 - 07:01:12",
        "Updated: 4:43pm, 26 Oct, 2021",
        "HAMBURG, Jan 19 (Continental Wire) -",
        "By Laura Finch, Energy Correspondent",
        "Von Jens Hartmann und Maria Berger",
        "Wirtschaft",
        "Energy & Climate",
        "Harbor Business Daily",
        "Wirtschaftsblatt Online › Unternehmen › Industrie",
        "The Rhine Observer — English edition",
        "Share this article",
    ],
)
def test_never_a_headline(line):
    assert not headlines.reads_as_title(line)


@pytest.mark.parametrize(
    "line",
    [
        "Calder Robotics to cut 600 jobs and shut Reno plant",
        "Warnstreik im Hamburger Hafen: Ver.di legt Containerterminals lahm",
        "Calder Robotics streicht 600 Stellen – Dortmunder Standort bleibt verschont",
    ],
)
def test_headlines_read_as_titles(line):
    assert headlines.reads_as_title(line)


def test_headline_from_html_prefers_h1_then_title_without_outlet_suffix():
    page = (
        "<html><head><title>Nordwind opens its North Sea wind farm | Harbor Business Daily</title></head>"
        "<body><nav>Home</nav><p>Text.</p></body></html>"
    )
    assert headlines.from_html(page) == "Nordwind opens its North Sea wind farm"
    assert (
        headlines.from_html(page.replace("<nav>", "<h1>Nordwind opens Helgoland Süd at last</h1><nav>"))
        == "Nordwind opens Helgoland Süd at last"
    )


def test_headline_from_text_skips_labels_datelines_and_bylines():
    lines = [
        "MARKETS",
        "Updated: 5:12pm, 3 Feb, 2026",
        "By Laura Finch",
        "Calder Robotics agrees to buy lidar maker Brightline for $430 million",
        "PITTSBURGH, Feb 3 (Continental Wire) - Calder Robotics said on Tuesday it would buy Brightline.",
    ]
    assert headlines.from_text(lines) == "Calder Robotics agrees to buy lidar maker Brightline for $430 million"


def test_no_headline_is_taken_from_the_body():
    lines = [
        "Elon Musks Tesla trainiert nun KI-Modelle in China, während Donald Trump im Fernsehen behauptet, "
        "Amerika sei weit voraus.",
        "Sie sagten, das Zentrum sei wichtig.",
        "Diese Anlagen werden verwendet. Der Lieferant wurde nicht genannt.",
    ]
    assert headlines.from_text(lines) is None


@pytest.mark.parametrize(
    "text,title",
    [
        (
            "By Jane Doe | Nov. 3rd, 2026\n\nMADRID (EFE) – Spain opened its first rail line to Portugal on Tuesday.\n",
            "Spain opened its first rail line to Portugal on Tuesday",
        ),
        (
            "BERLIN (Reuters) – Germany will ban fireworks in city centres, a minister said. It covers 40 cities.\n",
            "Germany will ban fireworks in city centres, a minister said",
        ),
        (
            "Hamburg (dpa) – Der Hafen hat im Oktober weniger Container umgeschlagen. Das meldete er.\n",
            "Der Hafen hat im Oktober weniger Container umgeschlagen",
        ),
        (
            "By 2030, Germany wants to cut emissions by half. It was welcomed.\n",  # a sentence, not a byline
            "By 2030, Germany wants to cut emissions by half",
        ),
        (
            "From January, Berlin will ban cars in the centre. Drivers protested.\n",
            "From January, Berlin will ban cars in the centre",
        ),
        (
            "Von Jens Hartmann\n\nSAN JOSE, Calif. (AP) — Apple said on Monday it would open a plant.\n",
            "Apple said on Monday it would open a plant",
        ),
    ],
)
def test_without_a_headline_the_title_is_the_first_sentence_not_a_byline_or_dateline(text, title):
    from rag.ingest.articles import extract_metadata

    assert extract_metadata(text, [])[0] == title


def test_timestamp_lines_with_weekdays_of_either_language_are_not_headlines():
    for line in ("Thu, 12 Mar 2026 08:15", "Sonnabend, 14. März 2026, 18:40 Uhr", "Donnerstag, 12.03.2026 - 07:01"):
        assert dates.is_dateline_or_stamp(line), line
    assert not dates.is_dateline_or_stamp("Calder Robotics agrees to buy Brightline on 12 March 2026 at 08:15")
