"""The vector store: one persistent Chroma collection under RAG_HOME/chroma. We hand Chroma our own
ids and embeddings (no Chroma embedding function, so nothing is downloaded)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import StoreMismatchError, StoreServiceError

if TYPE_CHECKING:
    from chromadb.api.types import Metadata

COLLECTION = "articles"


def clean_metadata(meta: dict) -> dict[str, str | int | float | bool]:
    """Chroma takes str, int, float and bool values only: None is left out, lists and dicts are
    stored as JSON text."""
    import json

    out: dict[str, str | int | float | bool] = {}
    for k, v in meta.items():
        if v is None:
            continue
        if isinstance(v, (str, int, float, bool)):
            out[str(k)] = v
        else:
            out[str(k)] = json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    return out


class VectorStore:
    """A persistent Chroma collection on disk, or on a Chroma server when `url` is given."""

    def __init__(self, path: Path, embedding_model: str, url: str | None = None, collection: str = COLLECTION):
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        self.path = Path(path) if not url else url
        try:
            if url:
                from urllib.parse import urlparse

                u = urlparse(url if "://" in url else f"http://{url}")
                if not u.hostname:
                    raise StoreServiceError(f"RAG_CHROMA_URL {url!r} is not a URL like http://127.0.0.1:8000")
                self.client = chromadb.HttpClient(
                    host=u.hostname,
                    port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https",
                    settings=settings,
                )
            else:
                self.client = chromadb.PersistentClient(path=str(self.path), settings=settings)
            self.collection = self.client.get_or_create_collection(
                collection,
                embedding_function=None,
                metadata={"embedding_model": embedding_model, "hnsw:space": "cosine"},
            )
        except StoreServiceError:
            raise
        except Exception as exc:
            if not url:
                raise
            raise StoreServiceError(
                f"cannot use the Chroma server at {url} ({type(exc).__name__}); start it with "
                "`chroma run --path DIR --port N` or unset RAG_CHROMA_URL"
            ) from None
        stored = (self.collection.metadata or {}).get("embedding_model")
        if stored and stored != embedding_model:
            raise StoreMismatchError(
                f"the store {self.path} holds vectors of {stored!r}, but the embedding model is now "
                f"{embedding_model!r}; set RAG_EMBEDDING__MODEL back, or use a new RAG_HOME and ingest again"
            )

    def count(self) -> int:
        return self.collection.count()

    def check_dim(self, dim: int) -> None:
        """The collection records its dimension with the first vectors; other sizes are refused."""
        meta = dict(self.collection.metadata or {})
        stored = meta.get("embedding_dim")
        if stored is None:
            meta.pop("hnsw:space", None)  # creation-only key; Chroma rejects it in modify()
            self.collection.modify(metadata={**meta, "embedding_dim": dim})
        elif int(stored) != dim:
            raise StoreMismatchError(
                f"the store {self.path} holds {stored}-d vectors, the embedder gives {dim}-d; "
                "use a new RAG_HOME for this model"
            )

    def upsert(self, chunks, embeddings, articles: dict) -> None:
        """chunks of one or more articles; `articles` maps article_id to its Article."""
        self.check_dim(len(embeddings[0]))
        limit = self.client.get_max_batch_size()
        for i in range(0, len(chunks), limit):
            part = chunks[i : i + limit]
            metas: list[Metadata] = []
            for c in part:
                a = articles[c.article_id]
                metas.append(
                    clean_metadata(
                        {
                            "article_id": c.article_id,
                            "position": c.position,
                            "start": c.start,
                            "end": c.end,
                            "source": a.source,
                            "language": a.language,
                            "outlet": a.outlet,
                            "published": a.published,
                        }
                    )
                )
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=embeddings[i : i + limit],
                documents=[c.text for c in part],
                metadatas=metas,
            )

    def set_source(self, article_id: str, source: str) -> None:
        got = self.collection.get(where={"article_id": article_id}, include=["metadatas"])
        if got["ids"]:
            metadatas = got["metadatas"]
            assert metadatas is not None  # asked for with include=["metadatas"]
            self.collection.update(ids=got["ids"], metadatas=[{**m, "source": source} for m in metadatas])

    def delete_article(self, article_id: str) -> None:
        self.collection.delete(where={"article_id": article_id})  # its chunks' English readings too

    def delete_ids(self, ids: list[str]) -> None:
        self.collection.delete(ids=ids)

    def query(self, embedding: Sequence[float], n: int) -> list[tuple[str, float]]:
        n = min(n, self.count())
        if n <= 0:
            return []
        res = self.collection.query(query_embeddings=[embedding], n_results=n, include=["distances"])
        distances = res["distances"]
        assert distances is not None  # asked for with include=["distances"]
        return list(zip(res["ids"][0], distances[0]))
