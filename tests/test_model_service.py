"""The OpenAI-compatible service failing in the ways real ones do, on 127.0.0.1: bounded retries,
a one-line cause with the request id, distinct exit codes, no traceback, never the key."""

import time

import pytest

from servers import FakeOpenAI
from test_cli import one_line_error, rag

pytestmark = pytest.mark.slow
SECRET = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture
def store(seeds_copy):
    assert rag("ingest", str(seeds_copy)).returncode == 0


def ask_via(fake, **env):
    def chats():
        return [q for q in fake.requests if "messages" in q]

    r = rag(
        "ask",
        "Who interviewed Trump on CBS?",
        env_extra={"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": SECRET, **env},
    )
    return r, len(chats())


@pytest.mark.parametrize(
    "status,code,words",
    [
        (401, 6, "refused the API key (401)"),
        (429, 7, "rate limiting (429)"),
        (500, 5, "HTTP 500"),
    ],
)
def test_http_failures(store, status, code, words):
    headers = {"x-request-id": "req_abc123"} | ({"retry-after": "0"} if status == 429 else {})
    fake = FakeOpenAI([(status, ({"error": {"message": f"nope, key {SECRET}"}}, headers))])
    try:
        r, calls = ask_via(fake, RAG_OPENAI__MAX_RETRIES="2")
    finally:
        fake.stop()
    line = one_line_error(r, code)
    assert words in line and "req_abc123" in line
    assert SECRET not in r.stdout + r.stderr
    assert calls == (1 if status == 401 else 3)  # 401 is not retried; 429/500 are, a bounded number of times


def test_connection_refused(store):
    r = rag(
        "ask",
        "Who?",
        env_extra={
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "OPENAI_API_KEY": SECRET,
            "RAG_OPENAI__MAX_RETRIES": "1",
        },
    )
    assert "cannot connect" in one_line_error(r, 5)


def test_a_stalled_server_is_given_up_on_in_time(store):
    fake = FakeOpenAI([("stall", 20)])
    try:
        t = time.monotonic()
        r, calls = ask_via(fake, RAG_OPENAI__TIMEOUT="1", RAG_OPENAI__MAX_RETRIES="1")
        elapsed = time.monotonic() - t
    finally:
        fake.stop()
    assert "did not answer in time" in one_line_error(r, 5)
    assert calls == 2
    # timeout x (retries + 1) = 2 s of waiting, plus process start and back-off; far below the stall
    assert elapsed < 2 + 10


def test_a_garbled_reply_is_handled_without_the_key(store):
    fake = FakeOpenAI([("garbage", f"{{not json {SECRET}")])
    try:
        r, _ = ask_via(fake, RAG_OPENAI__MAX_RETRIES="0")
    finally:
        fake.stop()
    assert "Traceback" not in r.stderr and SECRET not in r.stdout + r.stderr
    assert "answered without any text" in one_line_error(r, 5)  # a fault of the service, not an answer


@pytest.mark.parametrize("reply", [(200, ({"id": "x", "choices": []}, {})), ("stream", "")])
def test_a_reply_without_text_is_a_service_error(store, reply):
    fake = FakeOpenAI([reply])
    try:
        r, calls = ask_via(fake, RAG_OPENAI__MAX_RETRIES="0")
    finally:
        fake.stop()
    assert calls == 1
    assert "answered without any text" in one_line_error(r, 5)  # was: "failed verification", exit 0


def test_a_forced_crash_never_prints_the_key(store, tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os\n"
        "import rag.answer.engines\n"
        "def boom(self, *a, **k):\n"
        "    raise RuntimeError('internal failure while using key ' + os.environ['OPENAI_API_KEY'])\n"
        "rag.answer.engines.Engine.answer = boom\n",
        encoding="utf-8",
    )
    fake = FakeOpenAI([("stream", "unused")])
    try:
        r, _ = ask_via(fake, PYTHONPATH=str(hook))
    finally:
        fake.stop()
    assert r.returncode == 70
    assert "internal error: RuntimeError" in r.stderr and "***" in r.stderr
    assert SECRET not in r.stdout + r.stderr and "Traceback" not in r.stderr
