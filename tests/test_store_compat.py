"""Stores from older versions, unreadable stores, duplicates under two paths, and paths that try
to leave the ingested folder."""

import hashlib
import shutil
from pathlib import Path

import pytest

from rag.ingest.pipeline import ingest
from rag.store.catalog import SCHEMA_VERSION, Catalog

from conftest import make_ws
from test_cli import one_line_error, rag

FIXTURE = Path(__file__).parent / "fixtures" / "store-v1"


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(f.relative_to(root).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_a_store_written_by_schema_1_still_opens_and_answers(tmp_path):
    home = tmp_path / "old-home"
    shutil.copytree(FIXTURE, home)
    r = rag("ask", "Who interviewed Trump on CBS?", "--json", env_extra={"RAG_HOME": str(home)})
    assert r.returncode == 0, r.stderr
    assert "Dokoupil" in r.stdout
    cat = Catalog(home / "catalog.sqlite")
    assert cat.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # upgraded in place
    assert cat.counts() == (2, 12) and cat.aliases() == []


def test_a_store_from_a_newer_rag_is_refused_and_left_untouched(tmp_path):
    home = tmp_path / "future"
    shutil.copytree(FIXTURE, home)
    import sqlite3

    with sqlite3.connect(home / "catalog.sqlite") as db:
        db.execute("PRAGMA journal_mode=DELETE")  # so that switching it back would show in the file
        db.execute("PRAGMA user_version=99")
    before = tree_hash(home)
    line = one_line_error(rag("status", env_extra={"RAG_HOME": str(home)}), 4)
    assert "newer rag (schema 99" in line and "Nothing was changed" in line
    assert tree_hash(home) == before


def test_a_corrupt_catalog_is_refused_and_left_untouched(tmp_path):
    home = tmp_path / "corrupt"
    home.mkdir()
    (home / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    before = tree_hash(home)
    line = one_line_error(rag("status", env_extra={"RAG_HOME": str(home)}), 4)
    assert "catalog.sqlite" in line
    assert tree_hash(home) == before


STORY = "Acme opened a battery plant in Leipzig on Monday, the company said. It employs 300 people.\n"


def two_copies(root: Path, copy_name: str) -> tuple[Path, Path]:
    """a/story.txt and b/<copy_name>, the same text."""
    a, b = root / "a", root / "b"
    for d, name in ((a, "story.txt"), (b, copy_name)):
        d.mkdir()
        (d / name).write_text(STORY, encoding="utf-8")
    return a, b


def test_identical_text_under_two_paths_survives_deleting_either(tmp_path, fake_embedder):
    a, b = two_copies(tmp_path, "story.txt")  # same file name, other folder, same text
    (b / "other.txt").write_text("A different article about rain in Lisbon, officials said today.\n", encoding="utf-8")
    ws = make_ws(fake_embedder)
    report = ingest(ws, [tmp_path])
    assert len(report.added) == 2 and "stored once, kept as an alias" in dict(report.skipped)["b/story.txt"]
    (a / "story.txt").unlink()
    report = ingest(ws, [tmp_path], prune=True)
    assert report.removed == []
    row = next(r for r in ws.catalog.articles() if "Leipzig" in r.text)
    assert row.source == "b/story.txt" and Path(row.path).exists()
    assert ws.store.collection.get(where={"article_id": row.article_id})["metadatas"][0]["source"] == "b/story.txt"
    (b / "story.txt").unlink()
    report = ingest(ws, [tmp_path], prune=True)
    assert report.removed == ["b/story.txt"] and ws.catalog.counts()[0] == 1


def test_editing_the_stored_copy_keeps_the_identical_copy_searchable(tmp_path, fake_embedder):
    a, _ = two_copies(tmp_path, "copy.txt")
    text = STORY
    ws = make_ws(fake_embedder)
    ingest(ws, [tmp_path])
    (a / "story.txt").write_text(text.replace("300", "450"), encoding="utf-8")  # the stored copy is edited
    report = ingest(ws, [tmp_path])
    assert report.updated == ["a/story.txt"]
    texts = {r.source: r.text for r in ws.catalog.articles()}
    assert texts == {"a/story.txt": text.replace("300", "450"), "b/copy.txt": text}
    kept = next(r for r in ws.catalog.articles() if r.source == "b/copy.txt")
    assert ws.store.collection.get(where={"article_id": kept.article_id})["metadatas"][0]["source"] == "b/copy.txt"
    assert {c.article_id for c in ws.catalog.chunks()} == {r.article_id for r in ws.catalog.articles()}


def test_an_article_never_moves_to_a_copy_whose_text_changed_too(tmp_path, fake_embedder):
    a, b = two_copies(tmp_path, "copy.txt")
    ws = make_ws(fake_embedder)
    ingest(ws, [tmp_path])
    (a / "story.txt").write_text(STORY.replace("300", "450"), encoding="utf-8")
    (b / "copy.txt").write_text(STORY.replace("300", "520"), encoding="utf-8")
    ingest(ws, [a])  # only a is read; b's new text is not in the store yet
    assert [r.text for r in ws.catalog.articles()] == [STORY.replace("300", "450")]  # not "300" under b/copy.txt
    assert ws.catalog.aliases() == []


def test_copies_arriving_in_one_run_are_named_by_path(tmp_path, fake_embedder):
    a, b = two_copies(tmp_path, "story.txt")
    report = ingest(make_ws(fake_embedder), [a, b])
    assert (
        dict(report.skipped)["story.txt"]
        == f"same text as {(a / 'story.txt').resolve()} (stored once, kept as an alias)"
    )


def test_a_file_edited_into_a_copy_of_another_drops_its_old_text(tmp_path, fake_embedder):
    (tmp_path / "one.txt").write_text("Acme opened a battery plant in Leipzig on Monday, officials said.\n")
    (tmp_path / "two.txt").write_text("Rain closed three roads in Lisbon on Tuesday, officials said.\n")
    ws = make_ws(fake_embedder)
    ingest(ws, [tmp_path])
    (tmp_path / "two.txt").write_text((tmp_path / "one.txt").read_text())
    report = ingest(ws, [tmp_path])
    assert "same text as one.txt" in dict(report.skipped)["two.txt"]
    assert [r.source for r in ws.catalog.articles()] == ["one.txt"]  # no row left claiming two.txt says "Rain"
    assert all("Lisbon" not in c.text for c in ws.catalog.chunks())
    assert len(ws.store.collection.get(include=[])["ids"]) == ws.catalog.counts()[1]


def test_same_name_in_another_folder_is_named_by_its_path(tmp_path, fake_embedder):
    a, b = two_copies(tmp_path, "story.txt")
    ws = make_ws(fake_embedder)
    ingest(ws, [a])
    report = ingest(ws, [b])
    assert dict(report.skipped)["story.txt"].startswith(f"same text as {(a / 'story.txt').resolve()}")


def test_symlinks_out_of_the_folder_are_not_followed(tmp_path, fake_embedder):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Private notes that must not be ingested, officials said.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news.txt").write_text("Acme opened a plant in Leipzig on Monday, the company said.\n", encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside / "secret.txt")
    (corpus / "dirlink").symlink_to(outside, target_is_directory=True)
    ws = make_ws(fake_embedder)
    report = ingest(ws, [corpus])
    assert report.added == ["news.txt"]
    assert "outside the ingested folder" in dict(report.skipped)["link.txt"]
    assert all("secret" not in r.text.lower() for r in ws.catalog.articles())
    assert [r.source for r in ws.catalog.articles()] == ["news.txt"]  # stored relative to the root


def test_dot_dot_paths_resolve_inside_the_given_folder_only(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text(
        "Acme opened a plant in Leipzig on Monday, the company said.\n", encoding="utf-8"
    )
    (tmp_path / "elsewhere.txt").write_text("Not part of the corpus at all, officials said.\n", encoding="utf-8")
    ws = make_ws(fake_embedder)
    report = ingest(ws, [corpus / "sub" / ".." / "sub"])
    assert report.added == ["a.txt"]
    assert [r.source for r in ws.catalog.articles()] == ["a.txt"]
    assert all(".." not in r.source for r in ws.catalog.articles())


@pytest.mark.parametrize(
    "name,data,expect",
    [
        ("latin1.txt", "Der Bürgermeister sagte am Montag, die Straße werde gebaut.".encode("latin-1"), "Straße"),
        ("utf16.txt", "Die Regierung erklärte am Dienstag, die Preise seien gefallen.".encode("utf-16"), "Preise"),
        (
            "page.html",
            b"<html><head><style>b{}</style><script>var x=1;</script></head><body><p>Acme said on Monday "
            b"it will hire 300 people.</p></body></html>",
            "hire 300 people",
        ),
    ],
)
def test_encodings_and_html_are_read_without_mojibake(tmp_path, fake_embedder, name, data, expect):
    d = tmp_path / "c"
    d.mkdir()
    (d / name).write_bytes(data)
    ws = make_ws(fake_embedder)
    assert ingest(ws, [d]).added == [name]
    text = ws.catalog.articles()[0].text
    assert expect in text and "Ã" not in text and "var x" not in text
    assert all(c.text.strip() for c in ws.catalog.chunks())


def test_size_cap_is_configurable_and_nothing_stored_is_lost(tmp_path, fake_embedder, seeds_copy, monkeypatch):
    ws = make_ws(fake_embedder)
    ingest(ws, [seeds_copy])
    big = seeds_copy / "big.txt"
    big.write_text("Acme said on Monday it will hire people. " * 2000, encoding="utf-8")
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_BYTES", "50000")
    ws2 = make_ws(fake_embedder)
    report = ingest(ws2, [seeds_copy])
    assert "over the 50,000-byte limit" in dict(report.skipped)["big.txt"]
    assert ws2.catalog.counts()[0] == 5
