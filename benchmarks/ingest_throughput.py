"""Ingest throughput (issue 6): `rag`'s ingest beside the raw limit (the same MiniLM ONNX model
encoding the same chunk texts in one batch loop) and beside stock LlamaIndex (VectorStoreIndex over
ChromaVectorStore, same embedder, same chunk size), on the same synthetic corpus, in one run.
Then query latency (retrieval alone, and a full offline ask) over the ingested store.

    pip install -e ".[bench]"; .venv/bin/python benchmarks/ingest_throughput.py --articles 1000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import COMPANIES, THINGS, generate  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--skip-llamaindex", action="store_true")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-ingestbench-"))
    os.environ["RAG_MODELS_DIR"] = str(work / "models")
    corpus = work / "corpus"
    generate(corpus, a.articles, sentences=8)

    from rag.articles import read_article
    from rag.chunking import chunk_article
    from rag.embeddings import MiniLMEmbedder
    from rag.ingest import ingest
    from rag.settings import load_settings
    from rag.workspace import Workspace

    MiniLMEmbedder(work / "models").embed(["export the model once, outside the timings"])
    files = sorted(corpus.iterdir())
    texts = [c.text for f in files for c in chunk_article(read_article(f, f.name, 10**8))]
    results: dict = {"chunks": len(texts), "articles": len(files)}

    raw = MiniLMEmbedder(work / "models")
    raw.cache_size = 0
    t_raw, _ = timed(lambda: raw.embed(texts))
    results["raw_limit_chunks_per_s"] = round(len(texts) / t_raw, 1)

    ws = Workspace(load_settings(home=work / "rag-home"))
    t_rag, report = timed(lambda: ingest(ws, [corpus]))
    assert report.embedded_chunks == len(texts), (report.embedded_chunks, len(texts))
    results["rag_chunks_per_s"] = round(len(texts) / t_rag, 1)
    results["rag_vs_raw"] = round(t_raw / t_rag, 3)

    if not a.skip_llamaindex:
        results |= stock_llamaindex(corpus, work, len(texts), t_rag)

    # query latency on the store just built
    from rag.engines import ExtractiveEngine
    from rag.retrieve import retrieve

    rng = random.Random(3)
    questions = [f"Where does {rng.choice(COMPANIES)} plan its new {rng.choice(THINGS)[0]}?" for _ in range(a.queries)]
    engine = ExtractiveEngine(ws)
    retrieve(ws, "warm up")
    r_times, a_times = [], []
    for q in questions:
        t, passages = timed(lambda: retrieve(ws, q))
        r_times.append(t)
        t, _ = timed(lambda: engine.answer(q, passages))
        a_times.append(t + r_times[-1])
    results["retrieval_s"] = {"p50": round(pct(r_times, 0.5), 4), "p95": round(pct(r_times, 0.95), 4)}
    results["ask_s"] = {"p50": round(pct(a_times, 0.5), 4), "p95": round(pct(a_times, 0.95), 4)}
    print(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


def stock_llamaindex(corpus: Path, work: Path, n_chunks: int, t_rag: float) -> dict:
    import chromadb
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.embeddings import MiniLMEmbedder

    inner = MiniLMEmbedder(work / "models")
    inner.cache_size = 0

    def wrap(embed_many):
        """A LlamaIndex embedding model around a texts -> vectors function."""

        class Wrapped(BaseEmbedding):
            def _get_text_embedding(self, text):
                return embed_many([text])[0]

            def _get_text_embeddings(self, texts):
                return embed_many(texts)

            def _get_query_embedding(self, query):
                return embed_many([query])[0]

            async def _aget_query_embedding(self, query):
                return embed_many([query])[0]

        return Wrapped(embed_batch_size=32)

    Settings.llm = None
    client = chromadb.PersistentClient(path=str(work / "llamaindex-chroma"))

    def build(collection: str, embed_many):
        """Stock LlamaIndex: read the folder, split, embed, store in Chroma."""
        store = ChromaVectorStore(chroma_collection=client.get_or_create_collection(collection))
        docs = SimpleDirectoryReader(str(corpus)).load_data()
        return VectorStoreIndex.from_documents(
            docs, storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=wrap(embed_many), transformations=[SentenceSplitter(chunk_size=200, chunk_overlap=40)])

    t_li, _ = timed(lambda: build("stock", inner.embed))  # the very same ONNX MiniLM
    out = {"llamaindex_s": round(t_li, 2), "llamaindex_chunks_in_store": client.get_collection("stock").count(),
           "rag_s": round(t_rag, 2), "rag_speedup_vs_llamaindex": round(t_li / t_rag, 2)}

    # the stock runtime for this model: sentence-transformers on torch (what a LlamaIndex user gets
    # from HuggingFaceEmbedding), the same all-MiniLM-L6-v2 weights
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from rag.embeddings import minilm_dir

    st = SentenceTransformer(str(minilm_dir()), device="cpu")

    def stock(texts):
        return st.encode(texts, batch_size=32, normalize_embeddings=True).tolist()

    t_st, _ = timed(lambda: build("stock-st", stock))
    out |= {"llamaindex_sentence_transformers_s": round(t_st, 2),
            "rag_speedup_vs_llamaindex_sentence_transformers": round(t_st / t_rag, 2)}
    return out


if __name__ == "__main__":
    main()
