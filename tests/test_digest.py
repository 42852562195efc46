import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rag.answer.engines import make_engine
from rag.digest.build import make_digest
from rag.digest.summarize import summarize_article, summarize_topic
from rag.ingest.pipeline import ingest
from rag.settings import EngineName

from conftest import QueuedEngine, make_ws
from test_cli import one_line_error, rag


def digest_json(ws, **kw):
    args = {"on": None, "since": None, "all_": True} | kw
    return make_digest(ws, args["on"], args["since"], args["all_"], make_engine(ws, EngineName.extractive)).to_json()


def assert_citations_verbatim(ws, citations):
    for c in citations:
        text = ws.catalog.article(c["article_id"]).text
        assert text[c["start"] : c["end"]] == c["quote"] and c["quote"]
        assert {"n", "article_id", "source", "title", "chunk_id", "quote"} <= set(c)


@pytest.mark.slow
def test_seeds_form_the_two_stories(real_ws):
    d = digest_json(real_ws)
    stories = [sorted(a["source"][:3] for a in s["articles"]) for s in d["stories"]]
    assert stories == [["000", "002", "004"], ["001", "003"]]  # by coverage: three outlets first
    first = d["stories"][0]
    assert first["languages"] == ["de", "en"] and first["outlet_count"] == 3 and "CoinCentral" in first["outlets"]
    assert 2 <= len(first["points"]) <= 5
    for s in d["stories"]:
        assert s["date_range"][0] <= s["date_range"][1]
        for p in s["points"]:
            assert p["citations"] and re.search(r"\[\d+\]", p["text"])
            assert_citations_verbatim(real_ws, p["citations"])
    # a point backed by several outlets cites each of them
    assert any(len({c["source"] for c in p["citations"]}) >= 2 for p in first["points"])
    assert d["selection"]["by_published_date"] == 1 and d["selection"]["by_ingest_time"] == 4


SYNTH_A = (
    "Acme Motors said on Monday that its new Falcon battery plant in Leipzig will employ 1,200 workers. "
    "Chief executive Mara Lindqvist said the plant cells reach 24% efficiency. Production starts in March.\n"
)
SYNTH_B = (
    "The Falcon plant of Acme Motors in Leipzig is set to open with 900 workers, Mara Lindqvist told reporters. "
    "Lindqvist said the Falcon plant cells reach 24% efficiency. Analysts expect strong demand.\n"
)
SYNTH_C = (
    "Rainfall in Lisbon broke a ninety-year record on Tuesday, the national weather service said. "
    "Streets near the river flooded and two schools closed for the day. More rain is expected.\n"
)


def synthetic_corpus(tmp_path) -> Path:
    d = tmp_path / "synth"
    d.mkdir()
    (d / "a.txt").write_text(SYNTH_A, encoding="utf-8")
    (d / "b.txt").write_text(SYNTH_B, encoding="utf-8")
    (d / "c.txt").write_text(SYNTH_C, encoding="utf-8")
    # a syndicated copy of a.txt with a different footer line
    (d / "a-copy.txt").write_text(
        SYNTH_A + "Read more on partner sites.\nDistributed by Wire Service.\n", encoding="utf-8"
    )
    return d


@pytest.mark.slow
def test_disagreeing_figures_are_flagged_and_copies_collapse(tmp_path, real_ws):
    ws = make_ws(real_ws.embedder)  # grouping needs real lede embeddings; a fresh store of its own
    ingest(ws, [synthetic_corpus(tmp_path)])
    d = digest_json(ws)
    by_sources = {tuple(sorted(a["source"] for a in s["articles"])): s for s in d["stories"]}
    assert set(by_sources) == {("a-copy.txt", "a.txt", "b.txt"), ("c.txt",)}
    acme = by_sources[("a-copy.txt", "a.txt", "b.txt")]
    assert any(a["duplicate_of"] for a in acme["articles"])
    flagged = [dg for dg in acme["disagreements"] if dg["kind"] == "figure"]
    assert flagged, acme["disagreements"]
    quotes = " ".join(c["quote"] for dg in flagged for c in dg["claims"])
    assert "1,200" in quotes and "900" in quotes
    assert not any(
        "24%" in c["quote"] and "1,200" not in c["quote"] and "900" not in c["quote"]
        for dg in flagged
        for c in dg["claims"]
    )  # same figure in both: no disagreement
    assert by_sources[("c.txt",)]["disagreements"] == []


def test_a_point_is_backed_only_by_outlets_giving_its_figure_and_disagreements_name_the_subject():
    from types import SimpleNamespace

    from rag.digest.keypoints import disagreements, story_points

    texts = [
        "Storm Ingrid left about 82,000 homes in Scotland without power on Tuesday, SSEN said. Crews worked on.",
        "Storm Ingrid left 80,000 homes in Scotland without power on Tuesday, SSEN said. Schools stayed shut.",
        "Storm Ingrid left about 82,000 homes in Scotland without power on Tuesday, according to SSEN. Trains stopped.",
    ]
    rows = [
        SimpleNamespace(
            article_id=f"a{i}",
            source=f"{i}.txt",
            title="Storm",
            outlet=None,
            language="en",
            text=t,
            path=f"/x/{i}.txt",
            published=None,
            chars=len(t),
        )
        for i, t in enumerate(texts, 1)
    ]
    point = next(p for p in story_points(rows) if "82,000" in p.quote.text)
    assert [q.source for q in point.quotes] in (["1.txt", "3.txt"], ["3.txt", "1.txt"])  # not 2.txt: 80,000
    found = disagreements(rows)
    assert found and all(d["about"] == "Ingrid, Scotland, SSEN" for d in found)  # words, not stems ("ingri")
    assert all({c.source for c in d["claims"]} & {"2.txt"} for d in found)


def test_second_digest_marks_what_is_new(tmp_path, fake_embedder):
    ws = make_ws(fake_embedder)
    corpus = synthetic_corpus(tmp_path)
    (corpus / "c.txt").unlink()
    ingest(ws, [corpus])
    first = digest_json(ws, all_=False, since="24h")
    assert first["previous_digest"] is None
    second = digest_json(ws, all_=False, since="24h")
    assert second["previous_digest"] == first["generated_at"]
    assert not any(s["new"] or s["updated"] for s in second["stories"])
    (corpus / "c.txt").write_text(SYNTH_C, encoding="utf-8")
    ingest(ws, [corpus])
    third = digest_json(ws, all_=False, since="24h")
    new = [s for s in third["stories"] if s["new"]]
    assert [a["source"] for s in new for a in s["articles"]] == ["c.txt"]


SYNTH_D = (
    "Acme Motors confirmed on Tuesday that the Falcon battery plant in Leipzig will employ 1,200 workers, "
    "Mara Lindqvist said. The Falcon plant cells reach 24% efficiency, she added.\n"
)
SYNTH_E = (
    "A ferry strike halted crossings between Helsinki and Tallinn on Friday, the operators said. "
    "Unions demand higher wages for deck crews. Talks resume next week.\n"
)


def _items(texts, sim):
    from types import SimpleNamespace

    from rag.digest.stories import StoryArticle

    return [StoryArticle(SimpleNamespace(text=t, article_id=f"id{k}"), t, set()) for k, t in enumerate(texts)], sim


def test_known_stories_never_merge_or_split():
    import numpy as np

    from rag.digest.stories import Params, group

    params = Params(threshold=0.5, average_link=0.0, max_days=3)
    # b links to a and (more strongly) to c: free grouping glues all three together
    items, sim = _items(["a a", "b b", "c c"], np.array([[1, 0.9, 0.1], [0.9, 1, 0.95], [0.1, 0.95, 1]]))
    assert [len(s.members) for s in group(items, params, sim)] == [3]
    # a and c belong to stories of earlier digests: b joins one of them, the two stay apart
    stories = group(items, params, sim, known=["S1", None, "S2"])
    by_id = {s.known_id: sorted(m.row.text for m in s.members) for s in stories}
    assert by_id == {"S1": ["a a"], "S2": ["b b", "c c"]}
    # members of one earlier story stay together even when their texts no longer link
    items, sim = _items(["x x", "y y"], np.array([[1, -1.0], [-1.0, 1]]))
    assert [(s.known_id, len(s.members)) for s in group(items, params, sim, known=["S3", "S3"])] == [("S3", 2)]
    # two earlier stories stay apart even when one is a syndicated copy of the other
    items, sim = _items(["same text here", "same text here"], np.array([[1, 1.0], [1.0, 1]]))
    assert sorted(s.known_id for s in group(items, params, sim, known=["S4", "S5"])) == ["S4", "S5"]


def test_ledes_placing_an_event_differently_are_penalised():
    from types import SimpleNamespace

    from rag.digest.stories import Params, StoryArticle, similarity_matrix
    from rag.text.crosslingual import facts

    def item(lede, text):
        return StoryArticle(SimpleNamespace(text=text, article_id=lede, published=None), lede, facts(text), [1.0, 0.0])

    porto = "Delta Foods announced a battery plant in Porto. Priya Natarajan said it will employ 2950 people."
    lisbon = "Delta Foods announced a chip factory in Lisbon. Priya Natarajan said it will employ 4700 people."
    porto_again = "In Porto, Delta Foods unveiled its battery plant; Natarajan expects 2950 jobs."
    items = [item(porto, porto), item(lisbon, lisbon), item(porto_again, porto_again)]
    plain = similarity_matrix(items, Params(place_penalty=0.0, conflict_penalty=0.0))
    placed = similarity_matrix(items, Params(place_penalty=0.7, conflict_penalty=0.0))
    assert placed[0, 1] == pytest.approx(plain[0, 1] - 0.7)  # Porto vs Lisbon: two events
    assert placed[0, 2] == pytest.approx(plain[0, 2])  # both in Porto
    # a time is not a place: "in January" vs "in Porto" is no conflict
    january = "Delta Foods said in January it will build a chip factory. Priya Natarajan expects 4700 jobs."
    items[1] = item(january, january)
    assert similarity_matrix(items, Params(place_penalty=0.7, conflict_penalty=0.0))[0, 1] == pytest.approx(
        similarity_matrix(items, Params(place_penalty=0.0, conflict_penalty=0.0))[0, 1]
    )
    # a report that also names the other's place anywhere is not in conflict
    items[1] = item(lisbon, lisbon + " Its first plant, in Porto, opened last year.")
    assert similarity_matrix(items, Params(place_penalty=0.7, conflict_penalty=0.0))[0, 1] == pytest.approx(
        similarity_matrix(items, Params(place_penalty=0.0, conflict_penalty=0.0))[0, 1]
    )


def test_story_facts_read_german_as_english_and_ignore_the_outlet():
    from types import SimpleNamespace

    from rag.digest.stories import story_facts

    de = SimpleNamespace(
        language="de",
        outlet="Nordsee Zeitung",
        text="Die Hafenarbeiter in Bremerhaven streikten am Dienstag. Die Schiffe warten. Quelle: Nordsee Zeitung",
    )
    got = story_facts(de)
    assert "breme" in got  # a place stays a name
    assert not {"hafen", "schif", "diens", "nords", "zeitu"} & got  # nouns, weekday, outlet: not facts


def test_story_ids_carry_over_and_new_articles_join_or_start_stories(tmp_path, fake_embedder):
    ws = make_ws(fake_embedder)
    corpus = synthetic_corpus(tmp_path)
    ingest(ws, [corpus])
    first = digest_json(ws)
    before = {s["id"]: sorted(a["source"] for a in s["articles"]) for s in first["stories"]}
    acme = next(i for i, srcs in before.items() if "a.txt" in srcs)
    (corpus / "d.txt").write_text(SYNTH_D, encoding="utf-8")
    (corpus / "e.txt").write_text(SYNTH_E, encoding="utf-8")
    ingest(ws, [corpus])
    second = digest_json(ws)
    after = {s["id"]: s for s in second["stories"]}
    # every earlier story keeps its id and its members; new articles only add to them
    for sid, srcs in before.items():
        now = sorted(a["source"] for a in after[sid]["articles"])
        assert set(srcs) <= set(now) and set(now) - set(srcs) <= {"d.txt", "e.txt"}
    assert "d.txt" in [a["source"] for a in after[acme]["articles"]]
    assert after[acme]["updated"] and not after[acme]["new"]
    fresh = [s for s in second["stories"] if s["new"]]
    assert [[a["source"] for a in s["articles"]] for s in fresh] == [["e.txt"]]
    assert not any(s["updated"] for sid, s in after.items() if sid != acme)
    # the memory, not a fresh grouping, decides: an article an earlier digest put in a story stays
    memory = ws.home / "digests" / "stories.json"
    data = json.loads(memory.read_text(encoding="utf-8"))
    c_id = next(a["article_id"] for s in second["stories"] for a in s["articles"] if a["source"] == "c.txt")
    data["articles"][c_id] = acme
    memory.write_text(json.dumps(data), encoding="utf-8")
    third = {s["id"]: sorted(a["source"] for a in s["articles"]) for s in digest_json(ws)["stories"]}
    assert "c.txt" in third[acme]


def test_a_follow_up_joins_yesterdays_story_in_todays_digest(tmp_path, fake_embedder):
    """Yesterday's reports are not in today's digest, but today's follow-up joins their story."""
    ws = make_ws(fake_embedder)
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Acme plant\nPublished: March 3, 2026\n\n" + SYNTH_A, encoding="utf-8")
    (corpus / "c.txt").write_text("Lisbon rain\nPublished: March 3, 2026\n\n" + SYNTH_C, encoding="utf-8")
    ingest(ws, [corpus])
    first = digest_json(ws, all_=False, on="2026-03-03")
    acme = next(s["id"] for s in first["stories"] if s["articles"][0]["source"] == "a.txt")
    (corpus / "d.txt").write_text("Acme confirms plant\nPublished: March 4, 2026\n\n" + SYNTH_D, encoding="utf-8")
    ingest(ws, [corpus])
    second = digest_json(ws, all_=False, on="2026-03-04")
    assert [(s["id"], [a["source"] for a in s["articles"]]) for s in second["stories"]] == [(acme, ["d.txt"])]
    assert second["stories"][0]["updated"] and not second["stories"][0]["new"]


def test_digests_written_before_the_story_memory_keep_their_ids(tmp_path, fake_embedder):
    ws = make_ws(fake_embedder)
    ingest(ws, [synthetic_corpus(tmp_path)])
    first = digest_json(ws)
    (ws.home / "digests" / "stories.json").unlink()  # as after an upgrade: only the digest records
    second = digest_json(ws)
    assert {s["id"] for s in second["stories"]} == {s["id"] for s in first["stories"]}
    assert not any(s["new"] or s["updated"] for s in second["stories"])


def test_damaged_story_memory_is_named_and_regroup_recovers(tmp_path, fake_embedder):
    from rag.errors import UsageError

    ws = make_ws(fake_embedder)
    ingest(ws, [synthetic_corpus(tmp_path)])
    first = digest_json(ws)
    memory = ws.home / "digests" / "stories.json"
    for damage in ("{not json", "null", '{"articles": [1, 2]}'):
        memory.write_text(damage, encoding="utf-8")
        with pytest.raises(UsageError, match="stories.json is damaged.*--regroup"):
            digest_json(ws)
    regrouped = make_digest(ws, None, None, True, make_engine(ws, EngineName.extractive), regroup=True).to_json()
    sizes = sorted(len(s["articles"]) for s in first["stories"])
    assert sorted(len(s["articles"]) for s in regrouped["stories"]) == sizes
    assert json.loads(memory.read_text(encoding="utf-8"))["articles"]
    assert digest_json(ws)["stories"]


def test_period_selection_uses_published_date_else_ingest_time(fake_ws):
    d = digest_json(fake_ws, all_=False, on="2026-02-06")
    assert [a["source"][:3] for s in d["stories"] for a in s["articles"]] == ["004"]
    assert d["selection"] == d["selection"] | {"by_published_date": 1, "by_ingest_time": 0}
    recent = digest_json(fake_ws, all_=False, since="24h")
    assert sorted(a["source"][:3] for s in recent["stories"] for a in s["articles"]) == ["000", "001", "002", "003"]


def test_summary_of_one_article_quotes_only_that_article(fake_ws):
    s = summarize_article(fake_ws, "Data Center Plans", make_engine(fake_ws, EngineName.extractive))
    assert 3 <= len(s.points) <= 6
    for p in s.points:
        assert all(c.source.startswith("003_") for c in p.citations)
        assert_citations_verbatim(fake_ws, [c.to_dict() for c in p.citations])


def test_topic_summary_cites_several_outlets(fake_ws):
    s = summarize_topic(
        fake_ws, "What did David Sacks say about how far China is behind?", make_engine(fake_ws, EngineName.extractive)
    )
    sacks = [p for p in s.points if "Sacks" in p.text]
    assert sacks and {c.source[:3] for c in sacks[0].citations} == {"000", "002"}


def test_generated_summary_is_verified_or_replaced(fake_ws):
    row = next(r for r in fake_ws.catalog.articles() if r.source.startswith("003_"))
    chunks = fake_ws.catalog.chunks(row.article_id)
    k = next(i for i, c in enumerate(chunks, 1) if "Li Qiang" in c.text)
    good = (
        f"- Musk met Chinese Premier Li Qiang in Beijing [{k}].\n- Tesla considers a data center in China [1].\n"
        f"- Tesla faces competition from BYD [{next(i for i, c in enumerate(chunks, 1) if 'BYD' in c.text)}]."
    )
    s = summarize_article(fake_ws, row.source, QueuedEngine.make(fake_ws, [good]))
    assert s.fallback_reason is None and len(s.points) == 3 and "Li Qiang" in s.points[0].text
    bad = "- Musk met Premier Li Qiang 17 times [1].\n- Tesla is great [1].\n- More [1]."
    s = summarize_article(fake_ws, row.source, QueuedEngine.make(fake_ws, [bad]))
    assert s.fallback_reason and "failed verification" in s.fallback_reason
    assert not any("17 times" in p.text for p in s.points)


def test_a_period_longer_than_the_calendar_means_everything(fake_ws):
    from datetime import UTC, datetime

    from rag.digest.build import parse_period
    from rag.errors import UsageError

    now = datetime(2026, 11, 30, tzinfo=UTC)
    period = parse_period(None, "1000000d", False, now)  # overflowed datetime before
    assert period.start.year < 1900 and period.end == now
    assert parse_period(None, "3d", False, now).start == datetime(2026, 11, 27, tzinfo=UTC)
    with pytest.raises(UsageError, match="out of range"):
        parse_period("9999-12-31", None, False, now)  # its end, a day later, overflowed
    digest = make_digest(fake_ws, None, "99999999999w", False, make_engine(fake_ws, EngineName.extractive))
    assert digest.stories  # every stored article is in the period


@pytest.mark.slow
def test_bad_arguments_give_one_line_errors(seeds_copy):
    assert "empty" in one_line_error(rag("digest"), 3)
    assert rag("ingest", str(seeds_copy)).returncode == 0
    assert "no stored article matches 'zzz-none'" in one_line_error(rag("summarize", "zzz-none"), 2)
    assert "matches 4 articles" in one_line_error(rag("summarize", "Tesla"), 2)
    assert "at least 3 characters" in one_line_error(rag("summarize", "to"), 2)
    assert "either an ARTICLE" in one_line_error(rag("summarize"), 2)
    assert "either an ARTICLE" in one_line_error(rag("summarize", ""), 2)  # crashed before
    assert "either an ARTICLE" in one_line_error(rag("summarize", "--topic", "  "), 2)
    assert "no articles on 2020-01-01" in one_line_error(rag("digest", "--date", "2020-01-01"), 2)
    assert "not a date" in one_line_error(rag("digest", "--date", "yesterday"), 2)
    assert "only one of" in one_line_error(rag("digest", "--all", "--since", "3d"), 2)
    assert "--format 'pdf'" in one_line_error(rag("digest", "--format", "pdf"), 2)


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.external = set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        for key in ("src", "href"):
            if a.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(a[key])


def chromium(*args, timeout=60):
    exe = shutil.which("chromium")
    assert exe, "Debian chromium is required for this test (scripts/setup.sh installs it)"
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_html_digest_in_a_real_browser(real_ws, tmp_path):
    from rag.digest import render as render_digest

    page = tmp_path / "digest.html"
    page.write_text(
        render_digest.page(make_digest(real_ws, None, None, True, make_engine(real_ws, EngineName.extractive))),
        encoding="utf-8",
    )
    profile = tmp_path / "profile"
    dom = chromium(f"--user-data-dir={profile}", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-500:]
    parsed = _Anchors()
    parsed.feed(dom.stdout)
    assert "Tesla Trains AI Models in China" in dom.stdout  # the page loaded and rendered
    assert len(parsed.links) >= 8
    assert set(parsed.links) <= parsed.ids, set(parsed.links) - parsed.ids  # every citation resolves
    assert parsed.external == []  # self-contained
    for name, size in (("phone", "390,844"), ("desktop", "1280,900")):
        shot = tmp_path / f"{name}.png"
        r = chromium(
            f"--user-data-dir={profile}-{name}", f"--window-size={size}", f"--screenshot={shot}", page.as_uri()
        )
        assert r.returncode == 0 and shot.exists() and shot.stat().st_size > 5000, r.stderr[-500:]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_numbers_and_dates_read_the_same_in_both_languages():
    from rag.text.crosslingual import numbers

    assert numbers("Am 13. Januar sagte er") & numbers("On January 13, he said") == {"date:1-13", "num:13"}
    assert "num:1200" in numbers("1,200 workers") and "num:1200" in numbers("1.200 Arbeiter")
    assert "pct:24.5" in numbers("24,5 %") and "num:3" in numbers("drei bis sechs") and "num:6" in numbers("six")


def test_generated_digest_points_are_verified_per_story(fake_ws):
    # one reply per story: the first story's reply cites a made-up figure, the second's is fine
    stories_before = digest_json(fake_ws)["stories"]
    assert len(stories_before) >= 1
    replies = [
        "- Tesla trains AI in China with 9000 engineers [1].\n- More [1].",
        "- Tesla trains AI in China [1].\n- Tesla is in China [2].",
    ] * 5
    d = make_digest(fake_ws, None, None, True, QueuedEngine.make(fake_ws, replies)).to_json()
    for s in d["stories"]:
        assert not any("9000" in p["text"] for p in s["points"])
        for p in s["points"]:
            assert_citations_verbatim(fake_ws, p["citations"])
    assert any(s["fallback_reason"] and "failed verification" in s["fallback_reason"] for s in d["stories"])


def test_citation_numbers_run_through_the_digest_and_follow_the_quote():
    from rag.digest.build import _renumber
    from rag.digest.model import DigestArticle, Disagreement, Point, Story
    from rag.spans import Citation

    def cite(n, article, start):
        return Citation(
            start,
            start + 5,
            "quote",
            n=n,
            article_id=article,
            source=f"{article}.txt",
            title="T",
            chunk_id=f"{article}-0",
        )

    art = DigestArticle("a", "a.txt", "T", None, "en", "2026-01-01", "published", new=True)
    # a generated story numbers its points from 1; its disagreement's claim came from the digest-wide count (1 too)
    first = Story(
        "s1",
        "One",
        [Point("X [1]. Y [2].", [cite(1, "a", 0), cite(2, "a", 10)])],
        [art],
        [Disagreement("cost", "figure", [cite(1, "b", 50), cite(2, "a", 10)])],
    )
    second = Story("s2", "Two", [Point("Z [1].", [cite(1, "c", 0)])], [art], [])
    _renumber([first, second])
    assert first.points[0].text == "X [1]. Y [2]."
    claims = first.disagreements[0].claims
    assert [c.n for c in claims] == [3, 2]  # another quote gets a new number; the same quote keeps its own
    assert second.points[0].text == "Z [4]." and second.points[0].citations[0].n == 4
