"""How the local embedder schedules work: batches of similar length under a token budget, and
parallel single-threaded sessions for bulk work that give the same vectors as one session."""

import random

import pytest

from rag.models.embeddings import MiniLMEmbedder, token_batches

from conftest import SEEDS


def test_token_batches_group_by_length_within_the_budget():
    rng = random.Random(5)
    lengths = [rng.choice([8, 12, 30, 64, 120, 250]) + rng.randrange(5) for _ in range(300)]
    batches = token_batches(lengths, 512)
    assert sorted(k for b in batches for k in b) == list(range(300))  # each text exactly once
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[k] for k in b) <= 512
    padded = sum(len(b) * max(lengths[k] for k in b) for b in batches)
    assert padded <= 1.05 * sum(lengths)  # sorted by length, so almost no padding
    assert max(len(b) for b in batches) >= 32  # short texts share a run
    assert all(len(b) <= 2 for b in batches if max(lengths[k] for k in b) >= 250)


class Recording:
    """Wraps an ONNX session and records the shape of every input it is fed."""

    def __init__(self, inner, shapes):
        self.inner, self.shapes = inner, shapes

    def run(self, names, feed):
        self.shapes.append(feed["input_ids"].shape)
        return self.inner.run(names, feed)


def seed_texts():
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())).split()
    rng = random.Random(1)
    return [" ".join(words[i : i + rng.choice([6, 15, 40, 120, 180])]) for i in range(0, len(words) - 200, 41)]


@pytest.mark.slow
def test_bulk_embedding_pads_little_and_parallel_sessions_agree(models_dir):
    texts = seed_texts()
    one = MiniLMEmbedder(models_dir, workers=1, cache_size=0)
    two = MiniLMEmbedder(models_dir, workers=2, cache_size=0)
    shapes: list = []
    one._load()
    one._session = Recording(one._session, shapes)
    a = one.embed(texts)
    from tokenizers import Tokenizer

    from rag.models.embeddings import minilm_dir

    plain = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    plain.no_padding()
    plain.enable_truncation(256)
    real_tokens = sum(len(e.ids) for e in plain.encode_batch(texts))
    assert sum(r * c for r, c in shapes) <= 1.1 * real_tokens
    assert len(shapes) < len(texts) / 2  # but short texts are still batched

    two.embed(texts[:8])
    assert two._pool == []  # a little work does not pay for starting more sessions
    two.POOL_TOKENS = 2_000  # the real threshold (20k tokens) lowered to this test's size
    b = two.embed(texts)
    assert len(two._pool) == 2  # bulk work went to the parallel sessions
    assert len(a) == len(b) == len(texts)
    for u, v in zip(a, b):
        assert sum(x * y for x, y in zip(u, v)) > 0.9999  # same vectors, same order


def test_a_cached_text_survives_being_evicted_by_the_same_call(models_dir):
    # 64k chunks into a 10k cache: a text found in the cache was evicted by the new vectors of the
    # same call before it was read back (KeyError mid-ingest)
    e = MiniLMEmbedder(models_dir, cache_size=3, workers=1)
    first = e.embed(["alpha beta"])[0]
    out = e.embed(["alpha beta", "gamma", "delta", "epsilon", "zeta"])
    assert out[0] == first and len(out) == 5


@pytest.mark.slow
def test_early_load_gives_the_same_vectors_and_is_used_once(models_dir):
    """A cold ask loads MiniLM on a thread before reading its settings (load_early): the workspace's
    short-lived embedder takes that session, and its vectors equal a normally loaded embedder's."""
    from rag.models import embeddings
    from rag.settings import load_settings
    from rag.workspace import Workspace

    MiniLMEmbedder(models_dir).embed(["export the model once"])
    embeddings.load_early()
    early = embeddings._EARLY[models_dir]
    ws = Workspace(load_settings(), short_lived=True)
    texts = ["Who interviewed Trump on CBS?", "Tesla trainiert KI-Modelle in China."]
    got = ws.embedder.embed(texts)
    assert ws.embedder._session is early._session and models_dir not in embeddings._EARLY
    want = MiniLMEmbedder(models_dir, cache_size=0).embed(texts)
    for u, v in zip(got, want):
        assert sum(x * y for x, y in zip(u, v)) > 0.9999


def test_an_early_load_that_fails_raises_on_first_use(tmp_path, monkeypatch):
    """A broken model file found by the early load is reported by the first embed(), as a normal
    load would report it, and removed so the next run exports it again."""
    from rag.errors import LocalModelError
    from rag.models import embeddings

    cache = tmp_path / "models"
    cache.mkdir()
    bad = MiniLMEmbedder(cache)
    bad.onnx_path.write_bytes(b"not an onnx model")
    monkeypatch.setenv("RAG_MODELS_DIR", str(cache))
    embeddings.load_early()
    user = MiniLMEmbedder(cache, short_lived=True)
    with pytest.raises(LocalModelError, match="unreadable and has been removed"):
        user.embed(["x"])
    assert not bad.onnx_path.exists() and cache not in embeddings._EARLY


def test_early_load_is_skipped_for_another_embedding_model(monkeypatch, models_dir):
    from rag.models import embeddings

    monkeypatch.setenv("RAG_EMBEDDING__MODEL", "openai:text-embedding-3-small")
    embeddings.load_early()
    assert models_dir not in embeddings._EARLY
