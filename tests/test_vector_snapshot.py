"""The query copy of the vectors (rag/store/snapshot.py): equal to Chroma, used only when it
matches the catalog, and a cold query never imports chromadb."""

import json
import subprocess
import sys

import pytest

from rag.ingest.pipeline import ingest
from rag.retrieval.search import retrieve
from rag.store import snapshot as vector_snapshot
from rag.store.vectors import VectorStore

from conftest import ROOT, make_ws


def chroma_vectors(ws) -> dict[str, list[float]]:
    got = ws.store.collection.get(include=["embeddings"])
    return dict(zip(got["ids"], [list(v) for v in got["embeddings"]]))


def test_snapshot_after_ingest_holds_exactly_the_chroma_vectors(fake_ws):
    snap = vector_snapshot.load(fake_ws.home, fake_ws.catalog.generation)
    assert snap is not None
    stored = chroma_vectors(fake_ws)
    readings = [i for i in stored if i.endswith("~en")]  # German chunks' English readings (rag/ingest/english.py)
    assert sorted(snap.ids) == sorted(stored) and len(stored) - len(readings) == fake_ws.catalog.counts()[1]
    for cid, row in zip(snap.ids, snap.matrix):
        assert list(row) == pytest.approx(stored[cid], abs=1e-6)  # fake vectors are unit length already


def test_snapshot_search_ranks_like_chroma(fake_ws, fake_embedder):
    snap = fake_ws.vectors
    assert isinstance(snap, vector_snapshot.VectorSnapshot)
    for q in ["Who interviewed Trump on CBS?", "Tesla data center China", "Solarzellen Wirkungsgrad"]:
        e = fake_embedder.embed([q])[0]
        ours, chroma = snap.query(e, 10), fake_ws.store.query(e, 10)
        assert [c for c, _ in ours][:5] == [c for c, _ in chroma][:5]
        assert [d for _, d in ours] == pytest.approx([d for _, d in chroma], abs=1e-4)


def test_a_query_opens_no_chroma_when_the_snapshot_is_current(fake_ws, fake_embedder):
    ws = make_ws(fake_embedder)  # a new process's view of the same RAG_HOME
    assert retrieve(ws, "Who interviewed Trump on CBS?")
    assert "store" not in ws.__dict__  # Chroma was never opened


def test_stale_or_damaged_snapshot_falls_back_to_chroma_and_next_ingest_repairs(fake_ws, fake_embedder, seeds_copy):
    home = fake_ws.home
    expected = [p.chunk_id for p in retrieve(fake_ws, "Tesla data center China")]
    manifest = json.loads((home / "vectors" / "manifest.json").read_text())
    path = home / "vectors" / manifest["vectors"]
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0xFF  # one damaged byte in the last vector
    path.write_bytes(bytes(raw))
    ws = make_ws(fake_embedder)
    assert isinstance(ws.vectors, VectorStore)
    assert [p.chunk_id for p in retrieve(ws, "Tesla data center China")] == expected

    ws.catalog.remove_article(ws.catalog.articles()[0].article_id)  # a write the snapshot has not seen
    ws = make_ws(fake_embedder)
    assert isinstance(ws.vectors, VectorStore)
    ingest(ws, [seeds_copy])  # puts the article back and writes a current snapshot
    ws = make_ws(fake_embedder)
    assert isinstance(ws.vectors, vector_snapshot.VectorSnapshot)
    assert sorted(ws.vectors.ids) == sorted(chroma_vectors(ws))


def test_server_mode_never_uses_a_local_snapshot(fake_ws, store_backend, fake_embedder, seeds_copy):
    ws = make_ws(fake_embedder)
    ingest(ws, [seeds_copy])
    if store_backend == "server":
        assert isinstance(ws.vectors, VectorStore)
        assert not (ws.home / "vectors" / "manifest.json").exists() or fake_ws.settings.chroma_url is None
    else:
        assert isinstance(ws.vectors, vector_snapshot.VectorSnapshot)


@pytest.mark.slow
def test_cold_cli_ask_does_not_import_chromadb(rag_home, models_dir):
    env_code = (
        "import sys, runpy\n"
        "sys.argv = ['rag', 'ask', '--json', 'Who interviewed Trump on CBS?']\n"
        "try:\n    runpy.run_module('rag', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\n"
        "print('CHROMADB-IMPORTED' if 'chromadb' in sys.modules else 'NO-CHROMADB', file=sys.stderr)\n"
    )
    subprocess.run([sys.executable, "-m", "rag", "ingest", str(ROOT / "seeds")], check=True, capture_output=True)
    r = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True)
    assert "NO-CHROMADB" in r.stderr, r.stderr
    assert "Dokoupil" in r.stdout
