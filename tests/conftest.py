"""Fakes for plumbing tests, and fixtures for the real components.

Every test gets its own RAG_HOME; the model cache (ONNX export, GGUF) is shared per session so
the real models are prepared once."""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder; counts how many texts it embedded."""

    name = "fake-hash-64"
    dim = 64

    def __init__(self, fail_after: int | None = None):
        self.calls = 0
        self.texts = 0
        self.fail_after = fail_after

    def embed(self, texts):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("fake embedding service down")
        self.texts += len(texts)
        out = []
        for t in texts:
            v = [0.0] * self.dim
            for w in re.findall(r"\w+", t.lower()):
                v[int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
            n = math.sqrt(sum(x * x for x in v)) or 1.0
            out.append([x / n for x in v])
        return out


class FakeReader:
    """Stands in for the answer reader (the MiniLM cross-encoder) in plumbing tests: the share
    of the question's words the sentence contains; records what it was asked."""

    def __init__(self):
        self.asked: list[tuple[str, list[str]]] = []

    def score(self, question, texts):
        self.asked.append((question, list(texts)))
        q = set(re.findall(r"\w+", question.lower()))
        return [len(q & set(re.findall(r"\w+", t.lower()))) / max(1, len(q)) for t in texts]

    def read(self, question, texts):
        """Each score with no reading: the answer model counts it as an average one."""
        return [(x, ()) for x in self.score(question, texts)]

    def preload(self):
        pass


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return Path(os.environ.get("RAG_TEST_MODELS_DIR") or tmp_path_factory.mktemp("models"))


@pytest.fixture(autouse=True)
def rag_home(tmp_path, monkeypatch, models_dir) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("RAG_HOME", str(home))
    monkeypatch.setenv("RAG_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # translating German at ingest loads Gemma (~1 s a sentence): on only where a test asks for it
    monkeypatch.setenv("RAG_TRANSLATE", "false")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "RAG_ENGINE"):
        monkeypatch.delenv(var, raising=False)
    return home


def make_passage(text: str, article: str = "a", title: str = "T", language: str = "en", score: float = 1.0):
    """A whole short article as one retrieved passage (plumbing tests of verify, prompts, selector)."""
    from rag.spans import Passage

    return Passage(
        0,
        len(text),
        text,
        chunk_id=f"{article}-0000",
        article_id=article,
        position=0,
        source=f"{article}.txt",
        title=title,
        language=language,
        score=score,
    )


def make_ws(embedder=None, reader=None, **settings):
    """A workspace; with a fake embedder, a fake reader too unless one is given."""
    from rag.settings import load_settings
    from rag.workspace import Workspace

    if reader is None and embedder is not None:
        reader = FakeReader()
    return Workspace(load_settings(**settings), embedder=embedder, reader=reader)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def fake_ws(fake_embedder, seeds_copy):
    """A real Chroma store and catalog holding the seeds, embedded by the fake embedder."""
    from rag.ingest.pipeline import ingest

    ws = make_ws(fake_embedder)
    ingest(ws, [seeds_copy])
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def real_ws(tmp_path_factory, models_dir):
    """The seeds in a store built with the real MiniLM embedder (ONNX), shared by the real tests."""
    from rag.ingest.pipeline import ingest

    home = tmp_path_factory.mktemp("real-home")
    ws = make_ws(home=home, models_dir=models_dir, translate=True)  # the German seed read in Gemma's English
    ingest(ws, [SEEDS])
    return ws


class QueuedEngine:
    """Builds an engine whose generate() replays queued responses and records its prompts."""

    @staticmethod
    def make(ws, responses: list[str], cache=None):
        from rag.answer.engines import Engine
        from rag.settings import EngineName

        class _Queued(Engine):
            name = EngineName.local
            streams = True
            prompts: list[tuple[str, list]] = []

            @property
            def model(self):
                return "queued-fake"

            def build_prompt(self, question, passages):
                self.prompts.append((question, passages))
                return f"{question}\n" + "\n".join(p.chunk_id for p in passages)

            def stream(self, prompt):
                self.calls = getattr(self, "calls", 0) + 1
                text = responses.pop(0)
                for i in range(0, len(text), 7):  # arrive in pieces, like a stream
                    yield text[i : i + 7]

        return _Queued(ws, cache)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    from servers import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    yield server
    server.stop()


@pytest.fixture(params=["local", "server"])
def store_backend(request, monkeypatch):
    """Runs a test against the local Chroma store and against a real Chroma server."""
    if request.param == "server":
        import uuid

        server = request.getfixturevalue("chroma_server")
        monkeypatch.setenv("RAG_CHROMA_URL", server.url)
        monkeypatch.setenv("RAG_CHROMA_COLLECTION", f"t-{uuid.uuid4().hex[:12]}")
    return request.param
