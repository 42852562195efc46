import pytest

from rag.errors import NotAnArticleError, UsageError
from rag.ingest.articles import boilerplate_ranges, decode, html_to_text, read_article

from conftest import SEEDS


def seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return read_article(path, path.name, 10**7)


def test_title_and_outlet_from_the_post_footer():
    a = seed("000")
    assert a.title == "Tesla Trains AI Models in China as Trump Claims U.S. Leads AI Race"
    assert a.outlet == "CoinCentral"


def test_published_date_only_when_the_text_states_one():
    assert seed("004").published == "2026-02-06"
    assert seed("000").published is None  # "January 13" is an event date, not a publication date


def test_languages_of_the_seeds():
    assert seed("002").language == "de"
    assert {seed(p).language for p in ("000", "001", "003", "004")} == {"en"}


def test_boilerplate_is_recorded_not_removed():
    a = seed("003")
    assert a.text == (next(SEEDS.glob("003_*.txt"))).read_text(encoding="utf-8")
    assert [a.text[s:e] for s, e in a.boilerplate] == ["Advertising"]
    assert a.title.startswith("Tesla Accelerates")
    counters = [seed("001").text[s:e] for s, e in seed("001").boilerplate]
    assert counters == ["0", "56"]
    newsletter = [seed("002").text[s:e] for s, e in seed("002").boilerplate]
    assert len(newsletter) == 1 and "Newsletter" in newsletter[0]


def test_article_sentences_are_not_boilerplate():
    text = "Tesla signed a deal with a supplier.\nShare this\nThe company said sales rose.\n"
    ranges = boilerplate_ranges(text)
    assert [text[s:e] for s, e in ranges] == ["Share this"]


def test_content_id_is_stable_and_content_based(tmp_path):
    p1, p2 = tmp_path / "a.txt", tmp_path / "b.txt"
    p1.write_text("Same words here.", encoding="utf-8")
    p2.write_text("Same words here.", encoding="utf-8")
    a, b = read_article(p1, "a.txt", 100), read_article(p2, "b.txt", 100)
    assert a.article_id == b.article_id and len(a.article_id) == 16
    p2.write_text("Other words here.", encoding="utf-8")
    assert read_article(p2, "b.txt", 100).article_id != a.article_id


def test_html_scripts_and_styles_are_dropped():
    text = html_to_text(
        "<html><head><style>p{x}</style></head><body><script>alert(1)</script>"
        "<h1>Title</h1><p>Body &amp; more.</p></body></html>"
    )
    assert "alert" not in text and "p{x}" not in text
    assert "Title" in text and "Body & more." in text


def test_decoding_utf16_bom_and_latin1():
    assert decode("Grüße".encode("utf-16"), "x") == "Grüße"
    assert decode("Grüße".encode("latin-1"), "x") == "Grüße"
    assert decode("„Straße“ – 5 € für Größe".encode("cp1252"), "x") == "„Straße“ – 5 € für Größe"
    # UTF-8 with one stray Windows-1252 byte: the rest stays UTF-8, not "BÃ¼rgermeisterin"
    stray = "Die Bürgermeisterin sagte".encode() + b" \x96 " + "am Montag: „Wir bauen.“".encode()
    assert decode(stray, "x") == "Die Bürgermeisterin sagte \ufffd am Montag: „Wir bauen.“"


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("東京の株式市場で日経平均株価が三日続落した。円相場は一ドル百五十円。", "shift_jis"),
        ("東京の株式市場で日経平均株価が三日続落した。円相場は一ドル百五十円。", "euc_jp"),
        ("Президент заявил в понедельник, что завод будет построен.", "cp1251"),
    ],
)
def test_text_of_another_encoding_is_refused_not_stored_garbled(text, encoding):
    with pytest.raises(NotAnArticleError, match="a.txt: not UTF-8.*save it as UTF-8"):
        decode(text.encode(encoding), "a.txt")


@pytest.mark.parametrize("content,reason", [(b"\x00\x01\x02binary", "binary"), (b"  \n", "empty")])
def test_unusable_files_name_the_file(tmp_path, content, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(UsageError, match=rf"bad.txt: .*{reason}|bad.txt: {reason}"):
        read_article(p, "bad.txt", 10**6)


def test_size_cap(tmp_path):
    p = tmp_path / "big.txt"
    p.write_text("word " * 100)
    with pytest.raises(UsageError, match="big.txt: .*limit"):
        read_article(p, "big.txt", 50)
