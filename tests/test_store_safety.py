"""The store under a second process and a hard kill: nothing lost, nothing duplicated, nothing
recorded as done without its vectors."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.ingest.english import SUFFIX
from rag.store.snapshot import VectorSnapshot
from rag.store.snapshot import load as load_snapshot

from conftest import ROOT, make_ws
from test_cli import one_line_error, rag

sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import generate  # noqa: E402

pytestmark = pytest.mark.slow


def consistent(home: Path, expected_articles: int) -> None:
    ws = make_ws(home=home)
    articles, chunks = ws.catalog.counts()
    assert articles == expected_articles
    stored = ws.store.collection.get(include=["metadatas"])
    # every chunk's vector and every German chunk's English reading (rag/ingest/english.py): no
    # orphans, none missing
    german = {row.article_id for row in ws.catalog.articles() if row.language == "de"}
    expected = [c.chunk_id for c in ws.catalog.chunks()]
    expected += [c.chunk_id + SUFFIX for c in ws.catalog.chunks() if c.article_id in german]
    assert sorted(stored["ids"]) == sorted(expected)
    assert ws.catalog.readings_due(glossed_too=False) == []  # the catalog knows them all
    per_article = {}
    for i, m in zip(stored["ids"], stored["metadatas"]):
        if not i.endswith(SUFFIX):
            per_article[m["article_id"]] = per_article.get(m["article_id"], 0) + 1
    for a in ws.catalog.articles():
        assert per_article.get(a.article_id) == a.n_chunks  # recorded as done only with all its vectors
    assert ws.catalog.pending() == []
    snap = load_snapshot(home, ws.catalog.generation)  # the query copy matches the store of record
    assert snap is not None and sorted(snap.ids) == sorted(stored["ids"])


def test_a_second_writer_waits_or_fails_fast(rag_home, seeds_copy):
    from filelock import FileLock

    rag_home.mkdir(parents=True, exist_ok=True)
    with FileLock(str(rag_home / "write.lock")):
        line = one_line_error(rag("ingest", str(seeds_copy), "--lock-timeout", "0.5"), 9)
        assert "another rag process is writing" in line
    assert rag("ingest", str(seeds_copy)).returncode == 0
    consistent(rag_home, 5)


def test_reading_while_a_writer_holds_the_lock(rag_home, seeds_copy):
    from filelock import FileLock

    assert rag("ingest", str(seeds_copy)).returncode == 0
    with FileLock(str(rag_home / "write.lock")):
        r = rag("ask", "Who interviewed Trump on CBS?", "--json")
    assert r.returncode == 0 and "Dokoupil" in r.stdout


def test_two_concurrent_ingests_end_with_exact_counts(rag_home, tmp_path):
    corpus = tmp_path / "synthetic"
    generate(corpus, 30)
    env = {**os.environ}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rag", "ingest", str(corpus)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    added = sorted(int(o[0].split("added ")[1].split(",")[0]) for o in outs)
    assert added == [0, 30]  # one wrote everything, the other waited and found it all unchanged
    consistent(rag_home, 30)


def _articles_in(home: Path) -> int:
    try:
        with sqlite3.connect(home / "catalog.sqlite", timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_during_ingest_then_rerun(rag_home, tmp_path, seed):
    corpus = tmp_path / "synthetic"
    n = 200  # ~6 s of embedding in ~25 commits: the kill (<= 0.6 s after the first) lands mid-run
    generate(corpus, n, seed=seed)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "ingest", str(corpus)],
        env={**os.environ, "RAG_INGEST__GROUP_CHUNKS": "8"},  # several commits per run
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while _articles_in(rag_home) < 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(random.Random(seed).uniform(0.0, 0.6))  # somewhere in the middle of the run
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    done = _articles_in(rag_home)
    assert done < n, "the run finished before the kill; make the corpus larger"
    assert not isinstance(make_ws(home=rag_home).vectors, VectorSnapshot)  # queries ask Chroma until a run ends
    r = rag("ingest", str(corpus))
    assert r.returncode == 0, r.stderr
    consistent(rag_home, n)
    again = rag("ingest", str(corpus))
    assert f"unchanged {n}" in again.stdout and "0 chunks embedded" in again.stdout
