"""The catalog: which articles are stored, their original text (quotes are checked against it),
their chunks' spans, and store-wide facts (embedding model, schema). SQLite, under RAG_HOME.

An article row is written only after its vectors are in Chroma; articles whose vectors were
being written when a run died are listed in `pending` and cleaned up by the next ingest."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from rag.errors import StoreMismatchError
from rag.spans import Chunk

SCHEMA_VERSION = 3
_READINGS = (
    "CREATE TABLE IF NOT EXISTS readings (chunk_id TEXT PRIMARY KEY REFERENCES chunks(chunk_id) ON DELETE CASCADE, "
    "english_sha TEXT NOT NULL, translated INTEGER NOT NULL);"
)
# v1 -> v2: identical text under a second path is recorded as an alias of the stored article.
# v2 -> v3: which German chunks have an English reading in the vector store (rag/ingest/english.py).
_MIGRATIONS = {
    1: "CREATE TABLE IF NOT EXISTS aliases (path TEXT PRIMARY KEY, article_id TEXT NOT NULL, source TEXT NOT NULL);",
    2: _READINGS,
}

_DDL = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE, source TEXT NOT NULL, title TEXT NOT NULL,
    outlet TEXT, published TEXT, language TEXT NOT NULL, chars INTEGER NOT NULL, text TEXT NOT NULL,
    ingested_at REAL NOT NULL, n_chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(article_id) ON DELETE CASCADE,
    position INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS pending (article_id TEXT PRIMARY KEY, old_id TEXT, since REAL NOT NULL);
CREATE TABLE IF NOT EXISTS aliases (path TEXT PRIMARY KEY, article_id TEXT NOT NULL, source TEXT NOT NULL);
"""
    + _READINGS
)


@dataclass(frozen=True)
class ArticleRow:
    article_id: str
    path: str
    source: str
    title: str
    outlet: str | None
    published: str | None
    language: str
    chars: int
    text: str
    ingested_at: float
    n_chunks: int


def _chunk(row: tuple) -> Chunk:
    chunk_id, article_id, position, start, end, text = row
    return Chunk(start, end, text, chunk_id=chunk_id, article_id=article_id, position=position)


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            version = self._user_version()  # read first: a foreign file must not be written to
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreMismatchError(
                f"{self.path} is not a rag catalog ({exc}); move it away or use another RAG_HOME. Nothing was changed."
            ) from None
        if version > SCHEMA_VERSION:
            self.db.close()
            raise StoreMismatchError(
                f"the catalog {self.path} was written by a newer rag (schema {version}, this one reads "
                f"{SCHEMA_VERSION}); upgrade rag or use another RAG_HOME. Nothing was changed."
            )
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA journal_mode=WAL")
        if version == 0:
            self.db.executescript(f"BEGIN; {_DDL} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        while 0 < version < SCHEMA_VERSION:  # an older rag's store: upgrade in place, one step at a time
            self.db.executescript(f"BEGIN; {_MIGRATIONS[version]} PRAGMA user_version={version + 1}; COMMIT;")
            version += 1

    def _user_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.db.close()

    # store-wide facts
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped on every change; caches derived from the catalog key on it."""
        return int(self.get_meta("generation") or 0)

    # reads
    def articles(self) -> list[ArticleRow]:
        rows = self.db.execute(f"SELECT {_ACOLS} FROM articles ORDER BY source, path").fetchall()
        return [ArticleRow(*r) for r in rows]

    def article(self, article_id: str) -> ArticleRow | None:
        r = self.db.execute(f"SELECT {_ACOLS} FROM articles WHERE article_id=?", (article_id,)).fetchone()
        return ArticleRow(*r) if r else None

    def article_by_path(self, path: str) -> ArticleRow | None:
        r = self.db.execute(f"SELECT {_ACOLS} FROM articles WHERE path=?", (path,)).fetchone()
        return ArticleRow(*r) if r else None

    def chunks(self, article_id: str | None = None) -> list[Chunk]:
        sql = 'SELECT chunk_id, article_id, position, start, "end", text FROM chunks'
        args: tuple = ()
        if article_id:
            sql, args = sql + " WHERE article_id=?", (article_id,)
        return [_chunk(r) for r in self.db.execute(sql + " ORDER BY article_id, position", args)]

    def chunk_map(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f'SELECT chunk_id, article_id, position, start, "end", text FROM chunks WHERE chunk_id IN ({marks})',
            chunk_ids,
        )
        return {r[0]: _chunk(r) for r in rows}

    # the English readings of German chunks (rag/ingest/english.py); rows go with their chunk
    def readings_due(self, glossed_too: bool, translated_too: bool = False) -> list[tuple[Chunk, str | None]]:
        """German chunks without an English reading (with None), and with `glossed_too` those read
        word by word so far (with the stored reading's hash: a translation may have arrived), with
        `translated_too` all of them (another translation model)."""
        rows = self.db.execute(
            'SELECT c.chunk_id, c.article_id, c.position, c.start, c."end", c.text, r.english_sha, r.translated '
            "FROM chunks c JOIN articles a USING(article_id) LEFT JOIN readings r USING(chunk_id) "
            "WHERE a.language='de' ORDER BY c.article_id, c.position"
        )
        return [
            (_chunk(row[:6]), row[6])
            for row in rows
            if row[6] is None or translated_too or (glossed_too and not row[7])
        ]

    def readings_stale(self) -> list[str]:
        """Chunks with a reading whose article is no longer read as German."""
        rows = self.db.execute(
            "SELECT r.chunk_id FROM readings r JOIN chunks c USING(chunk_id) JOIN articles a USING(article_id) "
            "WHERE a.language != 'de'"
        )
        return [r[0] for r in rows]

    def record_readings(self, made: list[tuple[str, str, bool]], removed: list[str]) -> None:
        """One transaction: (chunk id, hash of the English, translated?) stored, `removed` dropped."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO readings VALUES (?, ?, ?)", [(c, h, int(t)) for c, h, t in made])
            db.executemany("DELETE FROM readings WHERE chunk_id=?", [(c,) for c in removed])
            self._bump(db)  # a new generation: the query snapshot is rewritten with the readings
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def add_alias(self, path: str, article_id: str, source: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?)", (path, article_id, source))

    def aliases(self, article_id: str | None = None) -> list[tuple[str, str, str]]:
        if article_id:
            return list(
                self.db.execute("SELECT path, article_id, source FROM aliases WHERE article_id=?", (article_id,))
            )
        return list(self.db.execute("SELECT path, article_id, source FROM aliases"))

    def remove_alias(self, path: str) -> None:
        self.db.execute("DELETE FROM aliases WHERE path=?", (path,))

    def move_article(self, article_id: str, path: str, source: str) -> None:
        """The stored file is gone but an identical copy lives on: the article follows the copy."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE articles SET path=?, source=? WHERE article_id=?", (path, source, article_id))
        self.db.execute("DELETE FROM aliases WHERE path=?", (path,))
        self._bump(self.db)
        self.db.execute("COMMIT")

    def update_metadata(
        self, article_id: str, title: str, outlet: str | None, published: str | None, language: str
    ) -> bool:
        """What a newer rag reads from an unchanged text (title, outlet, date, language); True if
        anything changed. No vectors or chunks are involved."""
        cur = self.db.execute(
            "UPDATE articles SET title=?, outlet=?, published=?, language=? WHERE article_id=? AND "
            "(title IS NOT ? OR outlet IS NOT ? OR published IS NOT ? OR language IS NOT ?)",
            (title, outlet, published, language, article_id, title, outlet, published, language),
        )
        return cur.rowcount > 0

    def counts(self) -> tuple[int, int]:
        a = self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        c = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return a, c

    def pending(self) -> list[tuple[str, str | None]]:
        return list(self.db.execute("SELECT article_id, old_id FROM pending"))

    # writes
    def mark_pending(self, article_id: str, old_id: str | None) -> None:
        self.mark_pending_many([(article_id, old_id)])

    def mark_pending_many(self, items: list[tuple[str, str | None]]) -> None:
        """One transaction (one fsync) for a whole group of articles about to be written."""
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?)", [(aid, old, now) for aid, old in items]
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def clear_pending(self, article_id: str) -> None:
        self.db.execute("DELETE FROM pending WHERE article_id=?", (article_id,))

    def replace_article(self, article, chunks, old_article_id: str | None) -> None:
        self.replace_articles([(article, chunks, old_article_id)])

    def replace_articles(self, items) -> None:
        """One transaction: for each (article, chunks, old id) the old version (if any) out, the
        new one in, its pending mark cleared."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for article, chunks, old_article_id in items:
                self._replace(db, article, chunks, old_article_id)
            self._bump(db)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _replace(self, db, article, chunks, old_article_id: str | None) -> None:
        for aid in {old_article_id, article.article_id} - {None}:
            db.execute("DELETE FROM articles WHERE article_id=?", (aid,))
        db.execute("DELETE FROM articles WHERE path=?", (str(article.path),))
        db.execute("DELETE FROM aliases WHERE path=?", (str(article.path),))
        db.execute(
            f"INSERT INTO articles({_ACOLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                article.article_id,
                str(article.path),
                article.source,
                article.title,
                article.outlet,
                article.published,
                article.language,
                article.chars,
                article.text,
                time.time(),
                len(chunks),
            ),
        )
        db.executemany(
            'INSERT INTO chunks(chunk_id, article_id, position, start, "end", text) VALUES (?,?,?,?,?,?)',
            [(c.chunk_id, c.article_id, c.position, c.start, c.end, c.text) for c in chunks],
        )
        db.execute("DELETE FROM pending WHERE article_id=?", (article.article_id,))

    def remove_article(self, article_id: str) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM articles WHERE article_id=?", (article_id,))
        self._bump(self.db)
        self.db.execute("COMMIT")

    @staticmethod
    def _bump(db) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )


_ACOLS = "article_id, path, source, title, outlet, published, language, chars, text, ingested_at, n_chunks"
