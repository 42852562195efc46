"""Scale-out: the whole CLI against a real Chroma server (`chroma run`) on 127.0.0.1."""

import json
import uuid

import pytest

from test_cli import one_line_error, rag

pytestmark = pytest.mark.slow


def test_ingest_ask_and_digest_through_a_chroma_server(chroma_server, seeds_copy, rag_home):
    env = {"RAG_CHROMA_URL": chroma_server.url, "RAG_CHROMA_COLLECTION": f"cli-{uuid.uuid4().hex[:8]}"}
    r = rag("ingest", str(seeds_copy), "--json", env_extra=env)
    assert r.returncode == 0, r.stderr
    assert not (rag_home / "chroma").exists()  # vectors went to the server, not the local folder
    answer = json.loads(rag("ask", "Who interviewed Trump on CBS?", "--json", env_extra=env).stdout)
    assert "Dokoupil" in answer["answer"]
    digest = json.loads(rag("digest", "--all", "--format", "json", env_extra=env).stdout)
    assert sorted(len(s["articles"]) for s in digest["stories"]) == [2, 3]
    again = rag("ingest", str(seeds_copy), env_extra=env)
    assert "unchanged 5" in again.stdout and "0 chunks embedded" in again.stdout


def test_an_unreachable_chroma_server_is_one_line(seeds_copy):
    r = rag("ingest", str(seeds_copy), env_extra={"RAG_CHROMA_URL": "http://127.0.0.1:9"})
    line = one_line_error(r, 10)
    assert "cannot use the Chroma server at http://127.0.0.1:9" in line
