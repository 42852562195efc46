"""One nested settings object. Environment: RAG_<FIELD>, nested as RAG_<GROUP>__<FIELD>
(e.g. RAG_RETRIEVAL__TOP_K=8). OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL are honoured too."""

from __future__ import annotations

import os
import re
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineName(str, Enum):
    openai = "openai"
    local = "local"
    extractive = "extractive"


def _user_path(value):
    """ "~/x" is the user's folder, as in a shell (an env var is not expanded by one when quoted)."""
    return Path(os.path.expanduser(value)) if isinstance(value, str | Path) else value


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:([kmg])(i?)b?|b)?\s*", re.I)


def _byte_size(value):
    """20000000, "20 MB" (10^6) or "19MiB" (2^20)."""
    m = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if not m:
        return value
    power = " kmg".index(m.group(2).lower()) if m.group(2) else 0
    return int(float(m.group(1)) * (1024 if m.group(3) else 1000) ** power)


def _default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("rag", appauthor=False))


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "minilm",
        description="'minilm' (local all-MiniLM-L6-v2 run through ONNX, 384-d) "
        "or 'openai:<model>' (embeddings from the configured OpenAI-compatible endpoint).",
    )
    batch_size: int = Field(64, ge=1, description="Texts per request to an OpenAI-compatible embedding endpoint.")
    batch_tokens: int = Field(
        512, ge=16, description="Local model: padded tokens per ONNX run (texts are grouped by length)."
    )
    workers: int = Field(
        0,
        ge=0,
        description="Local model: parallel single-threaded ONNX sessions for bulk embedding; "
        "0 = one per CPU core (max 8).",
    )


class ChunkSettings(BaseModel):
    max_tokens: int = Field(200, ge=32, description="Chunk size in tiktoken tokens.")
    overlap_tokens: int = Field(40, ge=0, description="Tokens of whole sentences repeated between neighbours.")
    encoding: str = Field("cl100k_base", description="tiktoken encoding used to count tokens.")


class RetrievalSettings(BaseModel):
    top_k: int = Field(10, ge=1, description="Passages handed to the answer engine.")
    candidates: int = Field(20, ge=1, description="Hits taken from each retriever before fusion.")
    per_article_cap: int = Field(3, ge=1, description="At most this many passages from one article.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")


class OpenAISettings(BaseModel):
    api_key: SecretStr | None = Field(None, description="From OPENAI_API_KEY.")
    base_url: str | None = Field(None, description="From OPENAI_BASE_URL: any OpenAI-compatible server.")
    model: str = Field("gpt-4o-mini", description="Chat model name (OPENAI_MODEL or RAG_OPENAI__MODEL).")
    timeout: float = Field(60.0, gt=0, description="Seconds per request.")
    max_retries: int = Field(2, ge=0, description="Retries on 429/5xx/connection errors.")

    @property
    def configured(self) -> bool:
        return bool(self.api_key or self.base_url)


class LocalLLMSettings(BaseModel):
    model_path: Path | None = Field(None, description="A GGUF file; default: the packaged Gemma 3 270M.")
    _expand = field_validator("model_path", mode="before")(_user_path)
    n_ctx: int = Field(4096, ge=512)
    threads: int | None = Field(None, description="CPU threads for llama.cpp (default: all cores).")


class GenerationSettings(BaseModel):
    max_tokens: int = Field(256, ge=16)
    temperature: float = Field(0.0, ge=0.0)


class IngestSettings(BaseModel):
    max_file_bytes: int = Field(
        20_000_000, ge=1, description="Larger files are skipped with a reason; a number of bytes or e.g. 20MB."
    )
    _size = field_validator("max_file_bytes", mode="before")(_byte_size)
    group_chunks: int = Field(256, ge=1, description="Chunks of short articles embedded and written together.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="All state: store, catalog, model cache.")
    models_dir: Path | None = Field(None, description="Model cache (ONNX export, GGUF); default HOME/models.")
    chroma_url: str | None = Field(
        None, description="A Chroma server (e.g. http://127.0.0.1:8000) instead of the local store in HOME/chroma."
    )
    chroma_collection: str = Field(
        "articles", description="Collection name; distinct stores on one server need distinct names."
    )
    engine: EngineName | None = Field(
        None, description="Answer engine; default openai when configured, else the best offline engine."
    )
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkSettings = ChunkSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    openai: OpenAISettings = OpenAISettings()
    local: LocalLLMSettings = LocalLLMSettings()
    generation: GenerationSettings = GenerationSettings()
    ingest: IngestSettings = IngestSettings()
    translate: bool = Field(
        True,
        description="Translate German sentences into English at ingest with the local model (needs the local "
        "engine, which scripts/setup.sh installs), for the English-only models that rank answers; false, or without "
        "llama.cpp: the dictionary's word-by-word gloss.",
    )

    _expand = field_validator("home", "models_dir", mode="before")(_user_path)

    @field_validator("home", "models_dir")
    @classmethod
    def _a_folder(cls, path: Path | None) -> Path | None:
        """A folder, or one that can be made: no file in the way (RAG_HOME=/etc/passwd/x)."""
        for p in [path, *path.parents] if path is not None else []:
            if p.exists():
                if not p.is_dir():
                    raise ValueError(f"{p} is a file; this must be a folder (created if missing)")
                break
        return path

    @model_validator(mode="before")
    @classmethod
    def _standard_openai_env(cls, data: dict) -> dict:
        openai = dict(data.get("openai") or {})
        for key, env in (("api_key", "OPENAI_API_KEY"), ("base_url", "OPENAI_BASE_URL"), ("model", "OPENAI_MODEL")):
            if env in os.environ and os.environ[env] and key not in openai:
                openai[key] = os.environ[env]
        if openai:
            data["openai"] = openai
        return data

    @property
    def model_cache(self) -> Path:
        return self.models_dir or self.home / "models"

    def default_engine(self) -> EngineName:
        if self.engine is not None:
            return self.engine
        # extractive scored best of the offline engines on evals/ (see BENCHMARKS.md)
        return EngineName.openai if self.openai.configured else EngineName.extractive


def load_settings(**overrides) -> Settings:
    from pydantic import ValidationError

    from rag.errors import UsageError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"invalid setting {where}: {err['msg']} (check RAG_* environment variables)") from None
