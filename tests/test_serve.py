"""`rag serve` over real HTTP on 127.0.0.1 and `rag chat` through a pipe."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from conftest import SEEDS
from servers import free_port, wait_http
from test_cli import rag

pytestmark = pytest.mark.slow


@pytest.fixture
def server(seeds_copy):
    assert rag("ingest", str(seeds_copy)).returncode == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/health", 120, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def call(url, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_health_ask_and_digest(server):
    status, health = call(server + "/health")
    assert status == 200 and health["articles"] == 5 and health["status"] == "ok"
    status, answer = call(server + "/ask", {"question": "Who interviewed Trump on CBS?"})
    assert status == 200
    assert {"question", "answer", "refused", "citations", "engine", "model", "timings"} <= set(answer)
    assert "Dokoupil" in answer["answer"]
    for c in answer["citations"]:
        assert c["quote"] in (SEEDS / c["source"]).read_text(encoding="utf-8")
    status, refused = call(server + "/ask", {"question": "What was Tesla's revenue in 2023?"})
    assert status == 200 and refused["refused"] is True
    status, digest = call(server + "/digest?all=1")
    assert status == 200 and len(digest["stories"]) == 2


def test_bad_requests_get_json_errors(server):
    assert call(server + "/ask", raw=b"not json")[0] == 400
    status, body = call(server + "/ask", {"nope": 1})
    assert status == 400 and "question" in body["error"]
    status, body = call(server + "/ask", {"question": "x", "engine": "gpt9"})
    assert status == 400 and "unknown engine" in body["error"]
    status, body = call(server + "/digest?date=1999-01-01")
    assert status == 400 and "no articles" in body["error"]
    assert call(server + "/nothing-here")[0] == 404


def test_chat_answers_question_after_question(seeds_copy):
    assert rag("ingest", str(seeds_copy)).returncode == 0
    r = subprocess.run(
        [sys.executable, "-m", "rag", "chat"],
        input="Who interviewed Trump on CBS?\nWhat was Tesla's revenue in 2023?\n/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Dokoupil" in r.stdout and "The articles don't say." in r.stdout and "Sources:" in r.stdout
