"""Scale and odd inputs: a 50,000-chunk ingest in bounded batches, metadata Chroma would reject,
files that are not articles, and what a new process sees after an ingest."""

import json
import subprocess
import sys
import tracemalloc

import pytest

from rag.ingest.pipeline import BATCH, ingest
from rag.store.vectors import clean_metadata

from conftest import FakeEmbedder, make_ws


class CountingEmbedder(FakeEmbedder):
    def __init__(self):
        super().__init__()
        self.largest = 0

    def embed(self, texts):
        self.largest = max(self.largest, len(texts))
        return super().embed(texts)


@pytest.mark.slow
def test_50000_chunks_in_batches_with_bounded_memory(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CHUNKING__MAX_TOKENS", "32")
    monkeypatch.setenv("RAG_CHUNKING__OVERLAP_TOKENS", "0")
    corpus = tmp_path / "big"
    corpus.mkdir()
    n_files, per_file = 50, 1000
    for f in range(n_files):
        sentences = [
            f"Report {f} item {i}: the city council of town {f} approved budget line {i} on Monday."
            for i in range(per_file)
        ]
        (corpus / f"f{f:03d}.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    embedder = CountingEmbedder()
    ws = make_ws(embedder)
    tracemalloc.start()
    report = ingest(ws, [corpus])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    articles, chunks = ws.catalog.counts()
    assert articles == n_files and chunks >= 50_000
    assert ws.store.count() == chunks and report.embedded_chunks == chunks
    assert embedder.largest <= BATCH  # never the whole article at once
    assert peak < 400 * 1024 * 1024, f"peak Python memory {peak / 1e6:.0f} MB"


def test_metadata_with_none_lists_and_dicts_is_stored(fake_ws):
    meta = clean_metadata({"a": None, "b": [1, "x"], "c": {"k": None}, "d": 3, "e": "s", "f": True, "g": 1.5})
    assert meta == {"b": '[1, "x"]', "c": '{"k": null}', "d": 3, "e": "s", "f": True, "g": 1.5}
    fake_ws.store.collection.upsert(ids=["extra"], embeddings=[[0.1] * 64], documents=["x"], metadatas=[meta])
    assert fake_ws.store.collection.get(ids=["extra"])["metadatas"][0]["b"] == '[1, "x"]'
    # outlet and published are None for most seeds: stored without them, no error
    metas = fake_ws.store.collection.get(include=["metadatas"])["metadatas"]
    assert any("outlet" in m for m in metas) and any("outlet" not in m for m in metas)


@pytest.mark.slow
def test_every_file_gets_a_reported_status(tmp_path, fake_embedder, monkeypatch):
    d = tmp_path / "mixed"
    d.mkdir()
    (d / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (d / "notes.pdf").write_bytes(b"%PDF-1.4")
    (d / "empty.md").write_text("")
    (d / "ok.txt").write_text("Acme opened a plant in Leipzig on Monday, the company said.\n", encoding="utf-8")
    with (d / "huge.txt").open("wb") as fh:  # a 50 MB file
        fh.truncate(50 * 1024 * 1024)
    ws = make_ws(fake_embedder)
    report = ingest(ws, [d])
    statuses = dict(report.skipped) | {s: "added" for s in report.added}
    assert set(statuses) == {".DS_Store", "notes.pdf", "empty.md", "ok.txt", "huge.txt"}
    assert statuses["ok.txt"] == "added"
    assert "hidden" in statuses[".DS_Store"] and "limit" in statuses["huge.txt"]
    assert "empty" in statuses["empty.md"] and "not an article file" in statuses["notes.pdf"]


@pytest.mark.slow
def test_a_new_process_sees_the_same_store(fake_ws, rag_home):
    german = {a.article_id for a in fake_ws.catalog.articles() if a.language == "de"}
    chunks = fake_ws.catalog.chunks()  # each chunk's vector, and each German chunk's English reading
    ids = sorted([c.chunk_id for c in chunks] + [c.chunk_id + "~en" for c in chunks if c.article_id in german])
    chunk = fake_ws.catalog.chunks()[7]
    probe = f"""
import json, sys
sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
from conftest import FakeEmbedder, make_ws
ws = make_ws(FakeEmbedder())
got = ws.store.collection.get(include=["metadatas", "documents"])
hit = ws.store.query(ws.embedder.embed([{chunk.text!r}])[0], 1)[0][0]
print(json.dumps({{"ids": sorted(got["ids"]), "count": ws.store.count(), "hit": hit,
                  "docs": dict(zip(got["ids"], got["documents"])), "meta": dict(zip(got["ids"], got["metadatas"]))}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
    assert out["ids"] == ids and out["count"] == len(ids)
    assert out["hit"] == chunk.chunk_id  # a chunk's own text retrieves it first
    assert out["docs"][chunk.chunk_id] == chunk.text
    assert out["meta"][chunk.chunk_id]["article_id"] == chunk.article_id
