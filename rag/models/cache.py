"""Generated text cached on disk, keyed by engine, model and the exact prompt, so repeated eval
runs are identical and cost nothing. Lives under RAG_HOME/cache/llm."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


class LLMCache:
    def __init__(self, directory: Path):
        self.dir = Path(directory)

    def _path(self, engine: str, model: str, prompt: str) -> Path:
        key = hashlib.sha256(json.dumps([engine, model, prompt], ensure_ascii=False).encode()).hexdigest()
        return self.dir / key[:2] / f"{key}.json"

    def get(self, engine: str, model: str, prompt: str) -> str | None:
        path = self._path(engine, model, prompt)
        try:
            return json.loads(path.read_text(encoding="utf-8"))["text"]
        except (OSError, ValueError, KeyError):
            return None

    def put(self, engine: str, model: str, prompt: str, text: str) -> None:
        path = self._path(engine, model, prompt)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(
            json.dumps({"engine": engine, "model": model, "text": text}, ensure_ascii=False), encoding="utf-8"
        )
        tmp.replace(path)
