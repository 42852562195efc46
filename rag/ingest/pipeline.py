"""`rag ingest`: files in, articles and chunk vectors stored, idempotently.

Write order per article, so a crash at any point leaves nothing half-recorded:
pending mark -> old vectors out, new vectors in (Chroma) -> catalog row replaced, pending cleared."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import NotAnArticleError, RagError, StoreBusyError, UnreadableFileError, UsageError
from rag.ingest.articles import SUFFIXES, Article, read_article
from rag.ingest.chunking import chunk_article, stored_sentences

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from rag.spans import Chunk


@dataclass
class _Collected:
    """An article read and chunked, waiting to be embedded and written."""

    source: str
    article: Article
    chunks: list[Chunk]
    replaces: str | None  # the id of the stored row it replaces (the file's text changed)
    updated: bool


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # not articles: binary, empty, duplicate, type
    failed: list[tuple[str, str]] = field(default_factory=list)  # could not be read: the user must act
    removed: list[str] = field(default_factory=list)
    embedded_chunks: int = 0
    translated: int = 0  # German sentences given an English reading (rag/models/translator.py)
    english_indexed: int = 0  # German chunks (re)indexed by their English reading (rag/ingest/english.py)
    warnings: list[str] = field(default_factory=list)  # nothing was lost, but the user should know
    seconds: float = 0.0

    def summary(self) -> str:
        translated = f", {self.translated} German sentences translated" if self.translated else ""
        english = f", {self.english_indexed} German chunks indexed in English" if self.english_indexed else ""
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"skipped {len(self.skipped)}, failed {len(self.failed)}, removed {len(self.removed)}; "
            f"{self.embedded_chunks} chunks embedded{translated}{english} in {self.seconds:.1f}s"
        )

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
            "failed": [{"source": s, "reason": r} for s, r in self.failed],
            "removed": self.removed,
            "embedded_chunks": self.embedded_chunks,
            "translated": self.translated,
            "english_indexed": self.english_indexed,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Candidate:
    path: Path  # resolved, absolute
    source: str  # relative to the ingest root, as shown to users
    root: Path


def discover(paths: list[Path], report: IngestReport, home: Path | None = None) -> list[Candidate]:
    """Article files under paths; rag's own state (RAG_HOME: digests, caches) is never an article."""
    found: list[Candidate] = []
    home = home.resolve() if home else None
    for given in paths:
        if not given.exists():
            raise UsageError(f"{given}: no such file or directory")
        root = given.resolve() if given.is_dir() else given.resolve().parent
        files = sorted(given.rglob("*")) if given.is_dir() else [given]
        for f in files:
            if f.is_dir() and not f.is_symlink():
                continue
            if home and f.resolve().is_relative_to(home):
                continue
            rel = f.relative_to(given).as_posix() if given.is_dir() else f.name
            resolved = f.resolve()
            if f.is_symlink() and not resolved.is_relative_to(root):
                report.skipped.append((rel, "symlink to a file outside the ingested folder"))
            elif f.name.startswith("."):
                report.skipped.append((rel, "hidden or system file"))
            elif f.suffix.lower() not in SUFFIXES:
                report.skipped.append((rel, f"not an article file ({f.suffix or 'no extension'})"))
            elif resolved.exists() and not resolved.is_file():
                # a named pipe or device would block the read (and the write lock) forever
                report.skipped.append((rel, "not a regular file (a pipe, socket or device)"))
            else:
                found.append(Candidate(resolved, rel, root))
    return found


def _lock(home: Path, timeout: float):
    from filelock import FileLock, Timeout

    home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(home / "write.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise StoreBusyError(f"another rag process is writing to {home}; wait for it or raise --lock-timeout") from None
    return lock


def ingest(
    ws,
    paths: list[Path],
    prune: bool = False,
    lock_timeout: float = 60.0,
    progress: Callable[[int, int, str], None] | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    candidates = discover(paths, report, ws.home)
    lock = _lock(ws.home, lock_timeout)
    group = _Group(ws, report)
    try:
        cat = ws.catalog
        embedder = ws.embedder
        _clean_pending(ws)
        seen: dict[str, Candidate] = {}  # article id -> the file that brought it in this run
        for i, cand in enumerate(candidates):
            if progress:
                progress(i, len(candidates), cand.source)
            try:
                article = read_article(cand.path, cand.source, ws.settings.ingest.max_file_bytes)
            except UnreadableFileError as exc:
                report.failed.append((cand.source, exc.reason))
                continue
            except NotAnArticleError as exc:
                report.skipped.append((cand.source, exc.reason))
                continue
            old = cat.article_by_path(str(cand.path))
            if old and old.article_id == article.article_id:
                seen.setdefault(article.article_id, cand)
                report.unchanged.append(cand.source)
                # a newer rag may read the same text better (headline, date): keep the row current
                cat.update_metadata(
                    article.article_id, article.title, article.outlet, article.published, article.language
                )
                continue
            twin = cat.article(article.article_id)
            if article.article_id in seen or (twin and twin.path != str(cand.path) and Path(twin.path).exists()):
                # identical text under another path: stored once, this path kept as an alias so the
                # article survives if the stored file is deleted
                earlier = seen.get(article.article_id)
                first = earlier.source if earlier else twin.source
                if first == cand.source:  # same name in another folder
                    first = str(earlier.path) if earlier else twin.path
                if old:
                    _release(ws, old.article_id)  # this file's previous text
                cat.add_alias(str(cand.path), article.article_id, cand.source)
                report.skipped.append((cand.source, f"same text as {first} (stored once, kept as an alias)"))
                continue
            s = ws.settings.chunking
            chunks = chunk_article(article, s.max_tokens, s.overlap_tokens, s.encoding)
            if not chunks:
                report.skipped.append((cand.source, "no article text left after removing boilerplate"))
                continue
            seen[article.article_id] = cand
            updated = bool(old)
            if old and _hand_over(ws, old.article_id):
                old = None  # the old text lives on in its identical copy, so it is not replaced
            old_id = old.article_id if old else twin.article_id if twin else None
            if len(chunks) >= BATCH:  # a long article is written in batches of its own
                group.drain()
                report.embedded_chunks += _store_article(ws, article, chunks, old_id)
                (report.updated if updated else report.added).append(cand.source)
                continue
            group.add(cand.source, article, chunks, old_id, updated=updated)
        group.drain()
        if progress:
            progress(len(candidates), len(candidates), "")
        if prune:
            report.removed = _prune(ws, [Path(p).resolve() for p in paths], {c.path for c in candidates})
        if embedder.dim:
            ws.record_embedding(embedder.name, embedder.dim)
        ws.save_vectors()
    finally:
        group.close()
        lock.release()
    # outside the write lock: translations live in the model cache, and take minutes on a big batch
    _translate(ws, report, progress)
    _index_english(ws, report, lock_timeout, progress)
    report.seconds = time.perf_counter() - started
    return report


def _translate(ws, report: IngestReport, progress) -> None:
    """English readings for the stored German sentences that lack one (after an interruption or
    an upgrade too). Everything is stored already: a failure here only leaves the gloss."""
    import sqlite3

    from rag.errors import RagError
    from rag.models import translator

    german = [row for row in ws.catalog.articles() if row.language == "de"]
    try:
        translations = translator.cache(ws.settings, strict=True)
    except (sqlite3.Error, OSError) as exc:
        report.warnings.append(
            f"German sentences were not translated (translation cache: {exc}); they are read word by word"
        )
        return
    if translations is None:
        reason = translator.unusable(ws.settings)
        if german and reason:
            report.warnings.append(f"German articles are read word by word: {reason}")
        return
    sentences = [s.text for row in german for s in stored_sentences(ws.catalog, row)]

    def step(done: int, total: int) -> None:
        if progress:
            progress(done, total, f"translating German sentences ({done}/{total})")

    try:
        report.translated = translator.translate_missing(
            translations, sentences, lambda: translator.LlamaTranslator(ws.settings), step
        )
    except (RagError, sqlite3.Error, OSError) as exc:
        report.warnings.append(f"German sentences were not translated ({exc}); they are read word by word")
    finally:
        translations.close()


def _index_english(ws, report: IngestReport, lock_timeout: float, progress) -> None:
    """The German chunks' English readings, with the translations just made (an upgrade and a run
    that died after storing get them too). Everything else is stored already: a failure here
    leaves German chunks found by their own vectors only, and the next ingest tries again."""
    from rag.ingest.english import index_english

    try:
        lock = _lock(ws.home, lock_timeout)
    except StoreBusyError as exc:
        report.warnings.append(f"German chunks were not indexed in English this time ({exc})")
        return
    try:
        report.english_indexed = index_english(ws, progress)
    except Exception as exc:  # any failure (embedder, Chroma, translation cache): nothing stored is lost
        report.warnings.append(
            f"German chunks were not indexed in English ({type(exc).__name__}: {exc}); the next ingest tries again"
        )
    finally:
        lock.release()


class _Group:
    """Short articles are embedded together (the model is fastest on full batches) and written
    together: all pending marks first, then one upsert, then one catalog transaction.

    Pipelined: while one group is embedded on a worker thread (onnxruntime leaves the GIL), this
    thread reads and chunks the next articles and writes the group before it. Writes stay on this
    thread and in order, so the crash-safety protocol is the one described at the top."""

    def __init__(self, ws, report: IngestReport):
        self.ws, self.report = ws, report
        self.items: list[_Collected] = []
        self.size = 0
        # (items, chunks, future) embedded but not yet written
        self._in_flight: tuple[list[_Collected], list, Future[list[list[float]]]] | None = None
        self._executor: ThreadPoolExecutor | None = None

    def add(self, source, article, chunks, old_id, updated: bool) -> None:
        self.items.append(_Collected(source, article, chunks, old_id, updated))
        self.size += len(chunks)
        if self.size >= min(GROUP, self.ws.settings.ingest.group_chunks):
            self.flush()

    def flush(self) -> None:
        """Start embedding the collected articles; write the group before them meanwhile."""
        if not self.items:
            return
        from concurrent.futures import ThreadPoolExecutor

        items, self.items, self.size = self.items, [], 0
        chunks = [c for item in items for c in item.chunks]
        what = items[0].source if len(items) == 1 else f"{items[0].source} (and {len(items) - 1} more)"
        executor = self._executor = self._executor or ThreadPoolExecutor(1, thread_name_prefix="rag-embed")
        future = executor.submit(_embed, self.ws, [c.text for c in chunks], what)
        self._write_in_flight()
        self._in_flight = (items, chunks, future)

    def drain(self) -> None:
        """Everything collected is embedded and written when this returns."""
        self.flush()
        self._write_in_flight()

    def close(self) -> None:
        """On any exit: an embedding still running is waited for and dropped unwritten."""
        self._in_flight = None
        if self._executor:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _write_in_flight(self) -> None:
        if self._in_flight is None:
            return
        items, chunks, future = self._in_flight
        self._in_flight = None
        vectors = future.result()  # an embedding error surfaces here, before anything of it is written
        ws = self.ws
        ws.record_embedding(ws.embedder.name, len(vectors[0]))
        cat, store = ws.catalog, ws.store
        # a death from here on is cleaned up by the next run
        cat.mark_pending_many([(item.article.article_id, item.replaces) for item in items])
        for item in items:
            if item.replaces:
                store.delete_article(item.replaces)
        store.upsert(chunks, vectors, {item.article.article_id: item.article for item in items})
        cat.replace_articles([(item.article, item.chunks, item.replaces) for item in items])
        for item in items:
            self.report.embedded_chunks += len(item.chunks)
            (self.report.updated if item.updated else self.report.added).append(item.source)


def _embed(ws, texts: list[str], what: str) -> list[list[float]]:
    """Runs on the embedding thread: it must not touch the catalog or the store."""
    try:
        vectors = ws.embedder.embed(texts)
    except RagError:
        raise
    except Exception as exc:
        raise RagError(
            f"{what}: embedding failed ({type(exc).__name__}: {exc}); nothing was stored for it, run ingest again"
        ) from None
    if not vectors or len(vectors) != len(texts):
        raise RagError(
            f"{what}: the embedder returned {len(vectors)} vectors for {len(texts)} chunks; "
            "nothing was stored for it, run ingest again"
        )
    return vectors


def _store_article(ws, article: Article, chunks: list, old_id: str | None) -> int:
    cat = ws.catalog
    cat.mark_pending(article.article_id, old_id)  # a death from here on is cleaned up by the next run
    first = True
    # batches keep memory flat however long the article: vectors are written as they are made
    for i in range(0, len(chunks), BATCH):
        batch = chunks[i : i + BATCH]
        vectors = _embed(ws, [c.text for c in batch], article.source)
        ws.record_embedding(ws.embedder.name, len(vectors[0]))
        store = ws.store
        if first:
            if old_id:
                store.delete_article(old_id)
            store.delete_article(article.article_id)
            first = False
        store.upsert(batch, vectors, {article.article_id: article})
    cat.replace_article(article, chunks, old_id)
    return len(chunks)


GROUP = 256  # chunks embedded and written together
BATCH = 512


def _clean_pending(ws) -> None:
    """A run died between the pending mark and the catalog commit: the new vectors are orphans,
    and the old version's vectors may be gone, so its row goes too (the next ingest re-adds it)."""
    cat = ws.catalog
    for article_id, old_id in cat.pending():
        if cat.article(article_id) is None:
            ws.store.delete_article(article_id)
            if old_id and cat.article(old_id) is not None:
                ws.store.delete_article(old_id)
                cat.remove_article(old_id)
        cat.clear_pending(article_id)


def _hand_over(ws, article_id: str) -> bool:
    """The stored file of `article_id` no longer holds its text: if a file kept as its alias still
    does, the article moves to that file instead of being removed. Aliases whose files now hold
    other text (or are gone) are dropped: quoting them would not be verbatim."""
    for path, _, source in ws.catalog.aliases(article_id):
        ws.catalog.remove_alias(path)
        try:
            same = read_article(Path(path), source, ws.settings.ingest.max_file_bytes).article_id == article_id
        except (UnreadableFileError, NotAnArticleError):
            same = False
        if same:
            ws.catalog.move_article(article_id, path, source)
            ws.store.set_source(article_id, source)
            return True
    return False


def _release(ws, article_id: str) -> bool:
    """The text `article_id` is no longer in its stored file: handed over to an identical copy, or
    removed (True)."""
    if _hand_over(ws, article_id):
        return False
    ws.store.delete_article(article_id)
    ws.catalog.remove_article(article_id)
    return True


def _prune(ws, roots: list[Path], present: set[Path]) -> list[str]:
    cat = ws.catalog

    def under(p: Path) -> bool:
        return any(p == r or p.is_relative_to(r) for r in roots)

    for path, _, _ in cat.aliases():
        if under(Path(path)) and not Path(path).exists():
            cat.remove_alias(path)
    removed = []
    for row in cat.articles():
        p = Path(row.path)
        if under(p) and p not in present and not p.exists() and _release(ws, row.article_id):
            removed.append(row.source)
    return removed
