"""The answer reader: MiniLM reading a question and a candidate sentence together (a cross-encoder)
and scoring how well the sentence answers it. The bi-encoder similarity compares two vectors made
apart; reading both at once lets attention match "stake" to "holds about a quarter".

The shipped weights are small: low-rank adapters (LoRA) on every linear layer of the packaged
all-MiniLM-L6-v2 plus a linear head, in rag/data/cross_encoder.npz, fitted by
benchmarks/fit_cross_encoder.py on training questions only. The first use merges them into the base
weights and exports one ONNX graph under the model cache (like the embedder, torch only then);
afterwards scoring needs onnxruntime + tokenizers.

The graph gives, per pair, the score and the reading it is made from (the mean of MiniLM's last
hidden states, 384 numbers): an answer model fitted with weights for it (rag/answer/selector.py,
benchmarks/fit_selector.py --reading) judges from the best sentence's reading whether it answers at
all, which the score, fitted to rank sentences against each other, does not say."""

from __future__ import annotations

import hashlib
import os
import threading
from array import array
from collections.abc import Callable, Sequence
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from rag.errors import LocalModelError
from rag.models.embeddings import export_graph, input_arrays, mean_pool, open_session, token_batches

TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
MAX_LENGTH = 160
# part of the exported graph's file name: a graph of an older layout is exported anew
GRAPH_LAYOUT = "score+reading"


def shipped_weights() -> Path:
    return Path(str(files("rag").joinpath("data/cross_encoder.npz")))


def tokenizer():
    from tokenizers import Tokenizer

    from rag.models.embeddings import minilm_dir

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    # the sentence is cut first; a question too long to leave it room is cut too (only_second
    # would fail on it)
    tok.enable_truncation(MAX_LENGTH, strategy="longest_first")
    tok.no_padding()
    return tok


def torch_batch(tok, question: str, texts: list[str]) -> tuple:
    """(question, text) pairs as the PyTorch reader's padded inputs (fitting, tests)."""
    import torch

    arrays = input_arrays(tok.encode_batch([(question, t) for t in texts]))
    return tuple(torch.from_numpy(arrays[k]) for k in ("input_ids", "attention_mask", "token_type_ids"))


def torch_model(
    rank: int = 16, alpha: float = 16.0, adapters: dict | None = None, layers: int = 0, source: Path | None = None
):
    """MiniLM (its first `layers` transformer layers; 0: all six) with a LoRA adapter on each
    TARGETS linear of every layer and a head on the mean of the last hidden states. Only adapters
    and head train; `adapters` (name -> array) loads fitted ones."""
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
            if layers:  # fewer layers: a cheaper read
                self.enc.encoder.layer = self.enc.encoder.layer[:layers]
                self.enc.config.num_hidden_layers = layers
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
            return self.head(mean_pool(hidden, attention_mask)).squeeze(-1)

    model = Reader()
    if adapters is not None:
        state = {k: torch.from_numpy(v).float() for k, v in adapters.items() if not k.startswith("meta.")}
        missing = [k for k, p in model.named_parameters() if p.requires_grad and k not in state]
        if missing:
            raise LocalModelError(f"{source or shipped_weights()}: adapter weights missing ({missing[0]} ...)")
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


def fitted_model(weights: Path):
    """The PyTorch reader with the adapters of a weights file, in eval mode."""
    import numpy as np

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    with np.load(weights) as data:
        adapters = {k: data[k] for k in data.files}
    rank, alpha = int(adapters["meta.rank"]), float(adapters["meta.alpha"])
    layers = int(adapters["meta.layers"]) if "meta.layers" in adapters else 0  # older files: all six
    return torch_model(rank, alpha, adapters, layers, source=weights).eval()


def reading_model(weights: Path):
    """The fitted reader giving, per pair, [score, *reading] (what the exported graph computes)."""
    import torch

    reader = fitted_model(weights)

    class Reading(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.reader = reader

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.reader.enc(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            pooled = mean_pool(hidden, attention_mask)
            return torch.cat([self.reader.head(pooled), pooled], dim=-1)

    return Reading().eval()


def export_onnx(weights: Path, target: Path) -> Path:
    return export_graph(reading_model(weights), target, "reading")


class CrossEncoder:
    """Reads (question, sentence) pairs with the exported reader: a score and a reading each; the
    graph's file name carries a hash of the shipped weights and the graph's layout, so new weights
    or a new layout are exported anew."""

    def __init__(self, cache_dir: Path, weights: Path | None = None, cache_size: int = 10_000):
        self.cache_dir = Path(cache_dir)
        self.weights = weights or shipped_weights()
        self.cache_size = cache_size
        # (question, text) -> (score, reading): an answer and its refusal's closest read once;
        # readings as 4-byte floats (1.5 kB each, a warm server keeps up to cache_size)
        self._readings: dict[tuple[str, str], tuple[float, Sequence[float]]] = {}
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self._preloading = False
        self.on_export: Callable[[], None] | None = None  # told before the one-off export (~10 s)

    @cached_property
    def onnx_path(self) -> Path:
        digest = hashlib.sha256(self.weights.read_bytes() + GRAPH_LAYOUT.encode()).hexdigest()[:12]
        return self.cache_dir / f"minilm-reader-{digest}.onnx"

    @property
    def ready(self) -> bool:
        """Exported: scoring will not need torch."""
        return self.weights.is_file() and self.onnx_path.exists()

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
                for stale in self.cache_dir.glob("minilm-reader-*"):
                    if not stale.name.startswith(path.stem):  # earlier weights' or layouts' graphs, ~90 MB each
                        stale.unlink(missing_ok=True)
            # as the embedder's one-shot processes: no weight pre-packing (a process reads ~10
            # pairs), the graph onnxruntime optimises saved once
            session = open_session(path, path.with_name(f"{path.stem}.ort-{ort.__version__}.onnx"), prepack=False)
            if [o.name for o in session.get_outputs()] != ["reading"]:
                raise LocalModelError(f"{path}: not an answer reader graph of this version; delete it and run again")
            self._session = session
            self._tokenizer = tokenizer()

    def preload(self) -> None:
        """Load on a thread (session set-up releases the GIL) when the graph is already exported."""
        if self._session is None and not self._preloading and self.ready:
            self._preloading = True
            import numpy  # noqa: F401  (imported here: two threads importing numpy break it)
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401

            threading.Thread(target=self._quiet_load, name="rag-reader-load", daemon=False).start()

    def _quiet_load(self) -> None:
        try:
            self._load()
        except BaseException:  # noqa: BLE001  (the next read() loads again and raises it)
            pass

    def score(self, question: str, texts: Sequence[str]) -> list[float]:
        return [score for score, _ in self.read(question, texts)]

    def readings(self, question: str, texts: Sequence[str]) -> list[Sequence[float]]:
        """What the score of each pair is made from (read once with it)."""
        return [reading for _, reading in self.read(question, texts)]

    def read(self, question: str, texts: Sequence[str]) -> list[tuple[float, Sequence[float]]]:
        todo = list(dict.fromkeys(t for t in texts if (question, t) not in self._readings))
        if todo:
            for t, x in zip(todo, self._run(question, todo)):
                self._readings[(question, t)] = x
            while len(self._readings) > self.cache_size:
                self._readings.pop(next(iter(self._readings)))
        return [self._readings[(question, t)] for t in texts]

    def _run(self, question: str, texts: list[str]) -> list[tuple[float, Sequence[float]]]:
        self._load()
        assert self._tokenizer is not None and self._session is not None
        enc = self._tokenizer.encode_batch([(question, t) for t in texts])
        out: list[tuple[float, Sequence[float]]] = [(0.0, ())] * len(enc)
        for batch in token_batches([len(e.ids) for e in enc], 512):  # similar lengths together: less padding
            rows = self._session.run(None, input_arrays([enc[k] for k in batch]))[0]
            for k, row in zip(batch, rows):
                out[k] = (float(row[0]), array("f", row[1:].tolist()))
        return out


_EARLY: dict[Path, CrossEncoder] = {}


def start_early(cache_dir: Path) -> None:
    """Called by a cold `rag ask` with the embedder's early load (rag/models/embeddings.py): the
    reader's session set-up (~0.2 s) then overlaps the imports and retrieval too."""
    reader = CrossEncoder(cache_dir)
    if reader.ready:
        _EARLY[reader.cache_dir] = reader
        reader.preload()


def for_cache(cache_dir: Path) -> CrossEncoder:
    """The reader started early for this model cache, or a new one."""
    return _EARLY.pop(Path(cache_dir), None) or CrossEncoder(cache_dir)
