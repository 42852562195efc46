"""The answer reader: MiniLM reading a question and a candidate sentence together (a cross-encoder)
and scoring how well the sentence answers it. The bi-encoder similarity compares two vectors made
apart; reading both at once lets attention match "stake" to "holds about a quarter".

The shipped weights are small: low-rank adapters (LoRA) on every linear layer of the packaged
all-MiniLM-L6-v2 plus a linear head, in rag/data/cross_encoder.npz, fitted by
benchmarks/fit_cross_encoder.py on training questions only. The first use merges them into the base
weights and exports one ONNX graph under the model cache (like the embedder, torch only then);
afterwards scoring needs onnxruntime + tokenizers."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from rag.errors import LocalModelError

TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
MAX_LENGTH = 160


def shipped_weights() -> Path:
    return Path(str(files("rag").joinpath("data/cross_encoder.npz")))


def tokenizer():
    from tokenizers import Tokenizer

    from rag.models.embeddings import minilm_dir

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_LENGTH, strategy="only_second")
    tok.no_padding()
    return tok


def torch_model(rank: int = 16, alpha: float = 16.0, adapters: dict | None = None):
    """MiniLM with a LoRA adapter on each TARGETS linear of every layer and a head on the mean of
    the last hidden states. Only adapters and head train; `adapters` (name -> array) loads fitted
    ones."""
    import torch
    from transformers import AutoModel

    from rag.models.embeddings import minilm_dir

    class LoRALinear(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear):
            super().__init__()
            self.base = base
            self.A = torch.nn.Parameter(torch.empty(rank, base.in_features))
            torch.nn.init.kaiming_uniform_(self.A, a=5**0.5)  # as in the LoRA paper; B = 0: starts as MiniLM
            self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
            self.scale = alpha / rank

        def forward(self, x):
            return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale

    class Reader(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = AutoModel.from_pretrained(str(minilm_dir()))
            for p in self.enc.parameters():
                p.requires_grad = False
            for layer in self.enc.encoder.layer:
                for name in TARGETS:
                    parent, attr = _parent(layer, name)
                    setattr(parent, attr, LoRALinear(getattr(parent, attr)))
            self.head = torch.nn.Linear(self.enc.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.enc(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(pooled).squeeze(-1)

    model = Reader()
    if adapters is not None:
        state = {k: torch.from_numpy(v).float() for k, v in adapters.items() if not k.startswith("meta.")}
        missing = [k for k, p in model.named_parameters() if p.requires_grad and k not in state]
        if missing:
            raise LocalModelError(f"{shipped_weights()}: adapter weights missing ({missing[0]} ...)")
        model.load_state_dict(state, strict=False)
    return model


def _parent(layer, dotted: str):
    *path, attr = dotted.split(".")
    obj = layer
    for p in path:
        obj = getattr(obj, p)
    return obj, attr


def trainable_state(model) -> dict:
    return {k: p.detach().cpu().numpy() for k, p in model.named_parameters() if p.requires_grad}


def export_onnx(weights: Path, target: Path) -> Path:
    import warnings

    import numpy as np
    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    with np.load(weights) as data:
        adapters = {k: data[k] for k in data.files}
    rank, alpha = int(adapters["meta.rank"]), float(adapters["meta.alpha"])
    model = torch_model(rank, alpha, adapters).eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "seq"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (ids, ids, torch.zeros_like(ids)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["score"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "score": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)
    return target


class CrossEncoder:
    """Scores (question, sentence) pairs with the exported reader; the graph's file name carries a
    hash of the shipped weights, so new weights are exported anew."""

    def __init__(self, cache_dir: Path, weights: Path | None = None, cache_size: int = 10_000):
        self.cache_dir = Path(cache_dir)
        self.weights = weights or shipped_weights()
        self.cache_size = cache_size
        self._scores: dict[tuple[str, str], float] = {}  # an answer and its refusal's closest read once
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self._preloading = False
        self.on_export: Callable[[], None] | None = None  # told before the one-off export (~10 s)

    @cached_property
    def onnx_path(self) -> Path:
        digest = hashlib.sha256(self.weights.read_bytes()).hexdigest()[:12]
        return self.cache_dir / f"minilm-reader-{digest}.onnx"

    @property
    def ready(self) -> bool:
        """Exported: scoring will not need torch."""
        return self.onnx_path.exists()

    def prepare(self) -> None:
        self._load()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort

            if not self.weights.is_file():
                raise LocalModelError(f"{self.weights}: the answer reader's weights are missing; reinstall rag")
            path = self.onnx_path
            if not path.exists():
                if self.on_export is not None:
                    self.on_export()
                try:
                    export_onnx(self.weights, path)
                except ImportError as exc:
                    raise LocalModelError(
                        f"cannot export the answer reader to ONNX ({exc}); install torch==2.13.0 and onnx"
                    ) from None
            # as the embedder: no weight pre-packing (a process reads ~10 pairs), and the graph
            # onnxruntime optimises is saved once per onnxruntime version instead of redone per run
            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            opts.add_session_config_entry("session.disable_prepacking", "1")
            optimized = path.with_name(f"{path.stem}.ort-{ort.__version__}.onnx")
            if optimized.exists():
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                path = optimized
            else:
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
                opts.optimized_model_filepath = str(optimized.with_name(f".{optimized.name}.tmp{os.getpid()}"))
            try:
                self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            except Exception as exc:
                path.unlink(missing_ok=True)
                raise LocalModelError(
                    f"the cached reader model {path} was unreadable and has been removed; run the command again ({exc})"
                ) from None
            if path != optimized and Path(opts.optimized_model_filepath).exists():
                os.replace(opts.optimized_model_filepath, optimized)
            self._tokenizer = tokenizer()

    def preload(self) -> None:
        """Load on a thread (session set-up releases the GIL) when the graph is already exported."""
        if self._session is None and not self._preloading and self.weights.is_file() and self.onnx_path.exists():
            self._preloading = True
            import numpy  # noqa: F401  (imported here: two threads importing numpy break it)
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401

            threading.Thread(target=self._quiet_load, name="rag-reader-load", daemon=False).start()

    def _quiet_load(self) -> None:
        try:
            self._load()
        except BaseException:  # noqa: BLE001  (the next score() loads again and raises it)
            pass

    def score(self, question: str, texts: Sequence[str]) -> list[float]:
        todo = list(dict.fromkeys(t for t in texts if (question, t) not in self._scores))
        if todo:
            for t, x in zip(todo, self._run(question, todo)):
                self._scores[(question, t)] = x
            while len(self._scores) > self.cache_size:
                self._scores.pop(next(iter(self._scores)))
        return [self._scores[(question, t)] for t in texts]

    def _run(self, question: str, texts: list[str]) -> list[float]:
        import numpy as np

        from rag.models.embeddings import token_batches

        self._load()
        assert self._tokenizer is not None and self._session is not None
        enc = self._tokenizer.encode_batch([(question, t) for t in texts])
        out = [0.0] * len(enc)
        for batch in token_batches([len(e.ids) for e in enc], 512):  # similar lengths together: less padding
            width = max(len(enc[k].ids) for k in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, k in enumerate(batch):
                n = len(enc[k].ids)
                ids[row, :n] = enc[k].ids
                mask[row, :n] = 1
                types[row, :n] = enc[k].type_ids
            scores = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            for k, x in zip(batch, scores):
                out[k] = float(x)
        return out


_EARLY: dict[Path, CrossEncoder] = {}


def start_early(cache_dir: Path) -> None:
    """Called by a cold `rag ask` with the embedder's early load (rag/models/embeddings.py): the
    reader's session set-up (~0.2 s) then overlaps the imports and retrieval too."""
    reader = CrossEncoder(cache_dir)
    if reader.weights.is_file() and reader.ready:
        _EARLY[reader.cache_dir] = reader
        reader.preload()


def for_cache(cache_dir: Path) -> CrossEncoder:
    """The reader started early for this model cache, or a new one."""
    return _EARLY.pop(Path(cache_dir), None) or CrossEncoder(cache_dir)
