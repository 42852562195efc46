"""A read-only copy of the local Chroma collection's vectors for the cold query path.

`import chromadb` costs 0.6-2.2 s per process, more than the rest of a cold `rag ask`. Chroma stays
the store of record: after every ingest (under the write lock) its vectors are copied into
`RAG_HOME/vectors/`, one float32 matrix plus the chunk ids, and a manifest naming both files with
the catalog generation they belong to and their checksums. The manifest is replaced atomically
and written last, so a reader sees the old snapshot or the new one, never a mix.

A query uses the snapshot only when its manifest names the catalog's current generation and the
checksums match; otherwise (a run that died after writing the catalog, a store from an older rag,
a damaged file) it asks Chroma, and the next ingest writes a fresh snapshot. Search is exact
(brute-force cosine), where Chroma's HNSW index is approximate."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

FORMAT = 1
MANIFEST = "manifest.json"
_PAGE = 5_000  # vectors read from Chroma per request while building


def _crc(data) -> int:
    view = memoryview(data)
    return zlib.crc32(view.cast("B")) if view.nbytes else 0  # an empty store: (0, dim) cannot be cast


class VectorSnapshot:
    def __init__(self, ids: list[str], matrix, generation: int):
        self.ids = ids
        self.matrix = matrix  # (n, dim) float32, L2-normalised rows, usually memory-mapped
        self.generation = generation

    def count(self) -> int:
        return len(self.ids)

    def query(self, embedding, n: int) -> list[tuple[str, float]]:
        """The n nearest chunk ids with cosine distances, like VectorStore.query."""
        import numpy as np

        n = min(n, len(self.ids))
        if n <= 0:
            return []
        q = np.asarray(embedding, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        sims = self.matrix @ q
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.lexsort((top, -sims[top]))]  # by similarity, ties by position: deterministic
        return [(self.ids[i], float(1.0 - sims[i])) for i in top]


def load(home: Path, generation: int) -> VectorSnapshot | None:
    """The snapshot for this catalog generation, or None when there is no valid one."""
    import numpy as np

    folder = Path(home) / "vectors"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or manifest.get("generation") != generation:
            return None
        ids_raw = (folder / manifest["ids"]).read_bytes()
        matrix = np.load(folder / manifest["vectors"], mmap_mode="r")
        if _crc(ids_raw) != manifest["ids_crc32"] or _crc(np.ascontiguousarray(matrix)) != manifest["vectors_crc32"]:
            return None
        ids = ids_raw.decode("utf-8").split("\n") if ids_raw else []
        if len(ids) != manifest["count"] or matrix.shape != (manifest["count"], manifest["dim"]):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, replaced meanwhile, or damaged: Chroma answers instead
    return VectorSnapshot(ids, matrix, generation)


def write(home: Path, store, generation: int) -> int:
    """Copies every vector of `store` (a VectorStore) into a new snapshot for `generation`.
    Call it holding the write lock. Returns the number of vectors."""
    import numpy as np

    folder = Path(home) / "vectors"
    folder.mkdir(parents=True, exist_ok=True)
    total = store.count()
    ids: list[str] = []
    parts = []
    for offset in range(0, total, _PAGE):
        got = store.collection.get(include=["embeddings"], limit=_PAGE, offset=offset)
        ids.extend(got["ids"])
        parts.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1))
    dim = parts[0].shape[1] if parts else 0
    matrix: np.ndarray = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True) if len(matrix) else None
    if norms is not None:
        matrix = matrix / np.where(norms == 0, 1.0, norms)
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    ids_raw = "\n".join(ids).encode("utf-8")
    names = {"vectors": f"vectors-{generation}.npy", "ids": f"ids-{generation}.lst"}
    _write_durably(folder / names["ids"], lambda fh: fh.write(ids_raw))
    _write_durably(folder / names["vectors"], lambda fh: np.save(fh, matrix))
    manifest = {
        "format": FORMAT,
        "generation": generation,
        "count": len(ids),
        "dim": int(dim),
        **names,
        "ids_crc32": _crc(ids_raw),
        "vectors_crc32": _crc(matrix),
    }
    _write_durably(folder / MANIFEST, lambda fh: fh.write(json.dumps(manifest).encode("utf-8")))
    for old in folder.iterdir():  # readers holding an old file keep it open; new readers see the manifest
        if old.name != MANIFEST and old.name not in names.values():
            old.unlink(missing_ok=True)
    return len(ids)


def _write_durably(path: Path, fill) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with tmp.open("wb") as fh:
        fill(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
