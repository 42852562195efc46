"""The pieces of article text that flow through the pipeline, one family. Each is a span
(start, end) of one article's stored text with its text. For a Sentence, Evidence, Quote and
Citation the text is the article's own: text == article_text[start:end], so it can be shown as a
verbatim quote and checked; a Chunk's text is its sentences joined by single spaces, with the
boilerplate inside its span left out (what is embedded and indexed).

    Span ── Sentence                    split_sentences: a sentence of an article
         ├─ Chunk ── Passage            chunking and the catalog; a chunk found by retrieval
         ├─ Evidence                    a sentence of a passage, scored as an answer
         ├─ Quote                       a sentence of an article, as a digest's key point reads it
         └─ Citation                    what an answer or summary shows, numbered

Subclasses take their own fields by keyword."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Span:
    start: int
    end: int
    text: str


@dataclass
class Sentence(Span):
    pass


@dataclass(kw_only=True)
class Chunk(Span):
    chunk_id: str
    article_id: str
    position: int
    tokens: int = 0  # counted when chunking; the catalog does not store it


@dataclass(kw_only=True)
class Passage(Chunk):
    source: str
    title: str
    language: str
    score: float
    vector_rank: int | None = None
    bm25_rank: int | None = None


@dataclass(kw_only=True)
class Evidence(Span):
    passage: Passage
    context: str = ""  # the sentence before it in the passage, and itself
    rank: int = 1  # of its passage in retrieval
    features: dict[str, float] = field(default_factory=dict)
    coverage: float = 0.0
    score: float = 0.0  # the selector's score: ranker, plus the reader's for its top sentences
    reader: float = 0.0  # the answer reader's score (rag/models/cross_encoder.py), when it read it
    reading: Sequence[float] = ()  # and what it made that score from
    adds: frozenset[str] = frozenset()  # the figures and names it states that the question lacks


@dataclass(kw_only=True)
class Quote(Span):
    article_id: str
    source: str
    title: str
    outlet: str | None
    language: str
    terms: set[str] = field(default_factory=set)
    facts: set[str] = field(default_factory=set)
    position: int = 0
    names: set[str] = field(default_factory=set)


@dataclass(kw_only=True)
class Citation(Span):
    n: int
    article_id: str
    source: str
    title: str
    chunk_id: str

    @property
    def quote(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "article_id": self.article_id,
            "source": self.source,
            "title": self.title,
            "chunk_id": self.chunk_id,
            "quote": self.text,
            "start": self.start,
            "end": self.end,
        }
