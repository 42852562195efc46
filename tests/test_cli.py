"""The CLI as users run it: a separate process, real MiniLM embedder and Chroma store."""

import json
import os
import subprocess
import sys

import pytest

from conftest import SEEDS
from servers import FakeOpenAI


def rag(*args, env_extra=None, timeout=300):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def one_line_error(result, code):
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def ingested(seeds_copy):
    r = rag("ingest", str(seeds_copy), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert len(report["added"]) == 5
    return seeds_copy


@pytest.mark.slow
def test_ask_json_schema_and_verbatim_quotes(ingested):
    r = rag("ask", "Who interviewed Trump on CBS?", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)  # exactly one JSON object
    assert {"question", "answer", "refused", "citations", "engine", "model", "timings"} <= set(out)
    assert out["engine"] == "extractive" and out["refused"] is False
    assert "Dokoupil" in out["answer"]
    for c in out["citations"]:
        assert {"n", "article_id", "source", "title", "chunk_id", "quote"} <= set(c)
        assert c["quote"] in (SEEDS / c["source"]).read_text(encoding="utf-8")
    assert f"[{out['citations'][0]['n']}]" in out["answer"]


@pytest.mark.slow
def test_text_output_lists_sources_and_refuses_plainly(ingested):
    r = rag("ask", "Who interviewed Trump on CBS?")
    assert r.returncode == 0 and "Sources:" in r.stdout and "002_cf314d619be69ddf.txt" in r.stdout
    r = rag("ask", "What was Tesla's revenue in 2023?")
    assert r.returncode == 0 and "The articles don't say." in r.stdout and "Sources:" not in r.stdout


@pytest.mark.slow
def test_status_and_sources(ingested):
    status = json.loads(rag("status", "--json").stdout)
    assert status["articles"] == 5 and status["chunks"] > 10
    assert status["embedding_model"].endswith("all-MiniLM-L6-v2") and status["embedding_dim"] == 384
    rows = json.loads(rag("sources", "--json").stdout)
    assert {r["language"] for r in rows} == {"en", "de"}
    assert [r["published"] for r in rows if r["published"]] == ["2026-02-06"]


@pytest.mark.slow
def test_reingest_reports_unchanged_and_bad_path_keeps_store(ingested):
    r = rag("ingest", str(ingested))
    assert "unchanged 5" in r.stdout and "0 chunks embedded" in r.stdout
    line = one_line_error(rag("ingest", str(ingested / "missing-folder")), 2)
    assert "missing-folder" in line
    assert json.loads(rag("status", "--json").stdout)["articles"] == 5


def test_empty_store_says_what_to_do():
    line = one_line_error(rag("ask", "Anything?"), 3)
    assert "rag ingest" in line


def test_unknown_engine_and_missing_key():
    assert "unknown engine 'gpt5'" in one_line_error(rag("ask", "q", "--engine", "gpt5"), 2)
    assert "OPENAI_API_KEY" in one_line_error(rag("ask", "q", "--engine", "openai"), 2)


def test_bad_setting_names_the_variable():
    line = one_line_error(rag("status", env_extra={"RAG_RETRIEVAL__TOP_K": "many"}), 2)
    assert "retrieval.top_k" in line


def test_rag_home_that_is_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    for home in (tmp_path / "afile", tmp_path / "afile" / "below"):
        line = one_line_error(rag("status", env_extra={"RAG_HOME": str(home)}), 2)  # was exit 70
        assert f"invalid setting home: Value error, {tmp_path / 'afile'} is a file" in line
    line = one_line_error(rag("status", env_extra={"RAG_MODELS_DIR": str(tmp_path / "afile")}), 2)
    assert "invalid setting models_dir" in line


def test_paths_expand_the_home_folder_and_sizes_take_units(monkeypatch, tmp_path):
    from rag.errors import UsageError
    from rag.settings import load_settings

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RAG_HOME", "~/news")  # quoted in a shell, so the shell left it as written
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_BYTES", "5MB")
    s = load_settings()
    assert s.home == tmp_path / "news" and s.ingest.max_file_bytes == 5_000_000
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_BYTES", "2 MiB")
    assert load_settings().ingest.max_file_bytes == 2 * 1024 * 1024
    monkeypatch.setenv("RAG_INGEST__MAX_FILE_BYTES", "lots")
    with pytest.raises(UsageError, match="ingest.max_file_bytes"):
        load_settings()


@pytest.mark.slow
def test_model_service_errors_are_one_line_and_never_show_the_key(ingested):
    secret = "sk-test-SECRET-abcdef123456"
    fake = FakeOpenAI([(401, {"error": {"message": f"Incorrect API key provided: {secret}"}})])
    try:
        r = rag("ask", "Who interviewed Trump?", env_extra={"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": secret})
    finally:
        fake.stop()
    line = one_line_error(r, 6)
    assert "401" in line and "req_test123" in line
    assert secret not in r.stdout + r.stderr
    refused = rag("ask", "Who?", env_extra={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "RAG_OPENAI__MAX_RETRIES": "0"})
    assert "cannot connect" in one_line_error(refused, 5)


@pytest.mark.slow
def test_unreadable_file_fails_the_run_but_stores_the_rest(seeds_copy):
    (seeds_copy / "dangling.txt").symlink_to(seeds_copy / "gone.txt")
    r = rag("ingest", str(seeds_copy))
    assert r.returncode == 2
    assert "error: dangling.txt: cannot read" in r.stderr and "Traceback" not in r.stderr
    assert "added 5" in r.stdout
    assert json.loads(rag("status", "--json").stdout)["articles"] == 5


def test_openai_embeddings_when_configured(seeds_copy):
    fake = FakeOpenAI([("stream", "unused")])
    env = {
        "OPENAI_BASE_URL": fake.base_url,
        "RAG_EMBEDDING__MODEL": "openai:fake-embed",
        "RAG_EMBEDDING__BATCH_SIZE": "8",
    }
    try:
        r = rag("ingest", str(seeds_copy), "--json", env_extra=env)
        assert r.returncode == 0, r.stderr
        status = json.loads(rag("status", "--json", env_extra=env).stdout)
        ask = rag("ask", "Who interviewed Trump on CBS?", "--json", "--engine", "extractive", env_extra=env)
    finally:
        fake.stop()
    assert status["embedding_model"] == "openai:fake-embed" and status["embedding_dim"] == 16
    batches = [q for q in fake.requests if "input" in q]
    assert batches and all(q["model"] == "fake-embed" for q in batches)
    assert len(batches) > 2 and all(len(q["input"]) <= 8 for q in batches)  # batched per RAG_EMBEDDING__BATCH_SIZE
    assert sum(len(q["input"]) for q in batches) >= status["chunks"]  # every chunk, plus the question
    assert ask.returncode == 0, ask.stderr
    # the store now refuses the local model
    assert "openai:fake-embed" in one_line_error(rag("ask", "Who?"), 4)


@pytest.mark.parametrize(
    "args, says",
    [(["ask"], "Missing argument"), (["ask", "q", "--nope"], "No such option"), (["digest", "--format", "pdf"], "pdf")],
)
def test_usage_errors_are_usage_errors_not_internal_ones(args, says):
    r = rag(*args)
    assert r.returncode == 2 and says in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
