"""Everything under RAG_HOME, opened lazily so a command pays only for what it touches."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from rag.errors import StoreMismatchError
from rag.settings import Settings
from rag.store.catalog import Catalog

if TYPE_CHECKING:
    from rag.store.snapshot import VectorSnapshot


class Workspace:
    def __init__(self, settings: Settings, embedder=None, short_lived: bool = False, reader=None):
        """short_lived: a one-shot command (cold ask) that embeds only a few texts. embedder and
        reader replace the models (tests)."""
        self.settings = settings
        self.short_lived = short_lived
        self.home = settings.home
        self._embedder = embedder
        self._reader = reader
        self._snapshot: VectorSnapshot | None = None

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.home / "catalog.sqlite")

    @cached_property
    def embedder(self):
        if self._embedder is None:
            from rag.models.embeddings import make_embedder

            self._embedder = make_embedder(self.settings, self.short_lived)
        self.check_embedding_model(self._embedder.name)
        return self._embedder

    @property
    def reader(self):
        """The answer reader (rag/models/cross_encoder.py): always the local MiniLM one, whatever
        the embedder, since its weights were fitted on that model."""
        if self._reader is None:
            from rag.models.cross_encoder import for_cache

            self._reader = for_cache(self.settings.model_cache)
        return self._reader

    @cached_property
    def translations(self):
        """The local model's English for German sentences (rag/models/translator.py); None when
        translation is off, the local engine is not installed, or the cache cannot be opened."""
        from rag.models import translator

        return translator.cache(self.settings)

    def known_english(self, sentences) -> dict[str, str]:
        """The stored English of these (German) sentences; none asked, nothing opened."""
        wanted = list(sentences)
        if not wanted or self.translations is None:
            return {}
        return self.translations.lookup(wanted)

    @cached_property
    def store(self):
        from rag.store.vectors import VectorStore

        s = self.settings
        return VectorStore(self.home / "chroma", self.embedder.name, url=s.chroma_url, collection=s.chroma_collection)

    @property
    def vectors(self):
        """What a query searches: the local snapshot of the vectors when it matches the catalog
        (no chromadb import), else the Chroma collection itself (server mode, stale snapshot)."""
        if self.settings.chroma_url is None:
            from rag.store import snapshot as vector_snapshot

            generation = self.catalog.generation
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = vector_snapshot.load(self.home, generation)
            if self._snapshot is not None:
                return self._snapshot
        return self.store

    def save_vectors(self) -> None:
        """Refresh the query snapshot after a write (local store only; call it holding the write lock)."""
        if self.settings.chroma_url is not None:
            return
        from rag.store import snapshot as vector_snapshot

        generation = self.catalog.generation
        if vector_snapshot.load(self.home, generation) is None:
            vector_snapshot.write(self.home, self.store, generation)

    def check_embedding_model(self, name: str) -> None:
        stored = self.catalog.get_meta("embedding_model")
        if stored and stored != name:
            raise StoreMismatchError(
                f"the store in {self.home} was built with embedding model {stored!r}, but the current one is "
                f"{name!r}; set RAG_EMBEDDING__MODEL back, or point RAG_HOME elsewhere and ingest again"
            )

    def record_embedding(self, name: str, dim: int) -> None:
        stored_dim = self.catalog.get_meta("embedding_dim")
        if stored_dim and int(stored_dim) != dim:
            raise StoreMismatchError(
                f"embeddings now have {dim} dimensions but the store in {self.home} holds {stored_dim}; "
                "use a new RAG_HOME for this model"
            )
        self.catalog.set_meta("embedding_model", name)
        self.catalog.set_meta("embedding_dim", str(dim))

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
        if self.__dict__.get("translations") is not None:
            self.translations.close()
