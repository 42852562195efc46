"""The warm service: one workspace with its models, index and engines loaded once, shared by
`rag serve` (HTTP) and `rag chat` (a terminal loop). Asking goes through the engines' one ask path."""

from __future__ import annotations

import threading
import time

from rag.answer.result import Answer
from rag.digest.model import Digest


class Service:
    """One workspace and its engines, warmed up once and shared by all requests."""

    def __init__(self, ws):
        self.ws = ws
        self.lock = threading.Lock()
        self.engines = {}
        self.started = time.time()

    def warm_up(self, max_sentences: int = 2000) -> None:
        """Load the models and index, and embed the stored sentences as the selector compares them
        (German ones in English; newest articles first, up to max_sentences) so that answering needs
        only the question's own embedding."""
        from rag.ingest.chunking import stored_sentences
        from rag.retrieval.bm25 import load_index
        from rag.text.crosslingual import in_english

        self.ws.embedder.embed(["warm up"])
        self.ws.store.count()
        load_index(self.ws.catalog, self.ws.home / "cache")
        sentences: list[str] = []
        for row in sorted(self.ws.catalog.articles(), key=lambda r: -r.ingested_at):
            spans = stored_sentences(self.ws.catalog, row)
            known = self.ws.known_english(x.text for x in spans) if row.language == "de" else {}
            sentences += [in_english(x.text, row.language, known) for x in spans]
            if len(sentences) >= max_sentences:
                break
        if sentences:
            self.ws.embedder.embed(list(dict.fromkeys(sentences))[:max_sentences])

    def engine(self, name):
        from rag.answer.engines import make_engine

        if name not in self.engines:
            self.engines[name] = make_engine(self.ws, name)
        return self.engines[name]

    def ask(self, question: str, engine: str | None = None, on_text=None) -> Answer:
        from rag.answer.engines import parse_engine

        return self.engine(parse_engine(engine, self.ws.settings)).ask(question, on_text)

    def digest(self, on: str | None, since: str | None, all_: bool, engine: str | None = None) -> Digest:
        from rag.answer.engines import parse_engine
        from rag.digest.build import make_digest

        return make_digest(self.ws, on, since, all_, self.engine(parse_engine(engine, self.ws.settings)))

    def health(self) -> dict:
        articles, chunks = self.ws.catalog.counts()
        return {
            "status": "ok",
            "articles": articles,
            "chunks": chunks,
            "embedding_model": self.ws.catalog.get_meta("embedding_model"),
            "default_engine": self.ws.settings.default_engine().value,
            "uptime_s": round(time.time() - self.started, 1),
        }
