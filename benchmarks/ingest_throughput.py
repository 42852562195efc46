"""Ingest throughput (issue 6), all in one run on one synthetic corpus, repeated, medians reported:

- raw limit: rag's MiniLM embedder encoding the chunk texts directly, nothing else (what ingest
  can at best approach); and a plain loop (one ONNX session, batches of 32 in file order).
- `rag` ingest: read, clean, chunk, embed, Chroma + catalog, crash-safe.
- stock LlamaIndex: SimpleDirectoryReader -> SentenceSplitter(200, 40) -> VectorStoreIndex over
  ChromaVectorStore, with the same MiniLM weights three ways:
    hf        the stock integration, HuggingFaceEmbedding (sentence-transformers on torch);
    onnx      the very same ONNX file in a minimal BaseEmbedding (a batch of LlamaIndex's size per
              run, padded to its longest, as ONNX integrations such as OptimumEmbedding do);
    rag-embed rag's own embedder plugged in, whole corpus per call: LlamaIndex's pipeline cost alone.

    pip install -e ".[bench]"; .venv/bin/python benchmarks/ingest_throughput.py --articles 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import generate  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def plain_onnx(model_file: Path):
    """The ONNX MiniLM the plain way: one session, each batch tokenized and padded to its longest."""
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from rag.models.embeddings import minilm_dir

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.enable_truncation(256)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")

    def embed(texts, batch=32):
        out = []
        for i in range(0, len(texts), batch):
            enc = tok.encode_batch(list(texts[i : i + batch]))
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            out.extend(
                session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[
                    0
                ].tolist()
            )
        return out

    return embed


def llamaindex_builder(corpus: Path, work: Path):
    import chromadb
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    with contextlib.redirect_stdout(sys.stderr):  # LlamaIndex prints a notice; stdout is the JSON
        Settings.llm = None
    client = chromadb.PersistentClient(path=str(work / "llamaindex-chroma"))

    def build(collection: str, embed_model) -> int:
        store = ChromaVectorStore(chroma_collection=client.get_or_create_collection(collection))
        docs = SimpleDirectoryReader(str(corpus)).load_data()
        VectorStoreIndex.from_documents(
            docs,
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=embed_model,
            transformations=[SentenceSplitter(chunk_size=200, chunk_overlap=40)],
        )
        return client.get_collection(collection).count()

    return build


def wrap(embed_many, batch_size: int):
    """A LlamaIndex embedding model around a texts -> vectors function."""
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class Wrapped(BaseEmbedding):
        def _get_text_embedding(self, text):
            return embed_many([text])[0]

        def _get_text_embeddings(self, texts):
            return embed_many(texts)

        def _get_query_embedding(self, query):
            return embed_many([query])[0]

        async def _aget_query_embedding(self, query):
            return embed_many([query])[0]

    return Wrapped(embed_batch_size=batch_size)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--background", type=int, default=12, help="mean background sentences (multi-chunk articles)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-llamaindex", action="store_true")
    ap.add_argument("--skip-plain", action="store_true", help="leave out the plain ONNX loop (slow; not the reference)")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-ingestbench-"))
    os.environ["RAG_MODELS_DIR"] = str(work / "models")
    os.environ["HF_HUB_OFFLINE"] = "1"
    corpus = work / "corpus"
    generate(corpus, a.articles, sentences=8, background=a.background)

    from rag.ingest.articles import read_article
    from rag.ingest.chunking import chunk_article
    from rag.ingest.pipeline import ingest
    from rag.models.embeddings import MiniLMEmbedder, minilm_dir
    from rag.settings import load_settings
    from rag.workspace import Workspace

    MiniLMEmbedder(work / "models").embed(["export the model once, outside the timings"])
    files = sorted(corpus.iterdir())
    texts = [c.text for f in files for c in chunk_article(read_article(f, f.name, 10**8))]
    plain = plain_onnx(work / "models" / "all-MiniLM-L6-v2.onnx")

    def rag_ingest(r):
        ws = Workspace(load_settings(home=work / f"rag-home-{r}"))
        report = ingest(ws, [corpus])
        assert report.embedded_chunks == len(texts), (report.embedded_chunks, len(texts))
        return len(texts)

    variants = {
        "raw: rag's embedder on the chunk texts": lambda r: len(
            MiniLMEmbedder(work / "models", cache_size=0).embed(texts)
        ),
        "raw: plain ONNX loop, batches of 32": lambda r: len(plain(texts)),
        "rag ingest": rag_ingest,
    }
    if a.skip_plain:
        del variants["raw: plain ONNX loop, batches of 32"]
    if not a.skip_llamaindex:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        build = llamaindex_builder(corpus, work)
        hf = HuggingFaceEmbedding(model_name=str(minilm_dir()), device="cpu")  # default batch size (10)
        onnx = wrap(lambda ts: plain(ts, batch=len(ts)), batch_size=hf.embed_batch_size)
        full = wrap(MiniLMEmbedder(work / "models", cache_size=0).embed, batch_size=2048)  # its maximum
        variants |= {
            "LlamaIndex + HuggingFaceEmbedding (stock, torch)": lambda r: build(f"hf{r}", hf),
            "LlamaIndex + same ONNX file, LlamaIndex batches": lambda r: build(f"onnx{r}", onnx),
            "LlamaIndex + rag's embedder (pipeline cost only)": lambda r: build(f"full{r}", full),
        }

    times: dict[str, list[float]] = {k: [] for k in variants}
    chunks: dict[str, int] = {}
    for r in range(a.repeats):  # interleaved, so drift in the machine hits every variant alike
        for name, fn in variants.items():
            t, n = timed(lambda: fn(r))  # noqa: B023 (called at once, within this iteration)
            times[name].append(round(t, 2))
            chunks[name] = n
            print(f"  repeat {r + 1}: {name}: {t:.2f} s", file=sys.stderr, flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    rag_t = med["rag ingest"]
    rows = {
        k: {
            "median_s": round(med[k], 2),
            "runs_s": times[k],
            "chunks": chunks[k],
            "chunks_per_s": round(chunks[k] / med[k], 1),
            "rag_speedup": round(med[k] / rag_t, 2),  # same corpus, same job
            "rag_speedup_per_chunk": round((med[k] / chunks[k]) / (rag_t / len(texts)), 2),
        }
        for k in variants
    }
    print(json.dumps({"articles": len(files), "chunks": len(texts), "repeats": a.repeats, "variants": rows}, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
