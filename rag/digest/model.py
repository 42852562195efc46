"""What summaries and digests produce, as typed objects: `to_json()` gives the `--json` /
`--format json` shape, the renderers read the objects themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rag.spans import Citation


@dataclass
class Point:
    text: str  # with [n] markers
    citations: list[Citation]

    def to_json(self) -> dict:
        return {"text": self.text, "citations": [c.to_dict() for c in self.citations]}


@dataclass
class Summary:
    kind: str  # "article" | "topic"
    subject: str
    points: list[Point]
    articles: list[dict]
    engine: str
    model: str
    refused: bool = False
    fallback_reason: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "refused": self.refused,
            "points": [p.to_json() for p in self.points],
            "articles": self.articles,
            "engine": self.engine,
            "model": self.model,
            "fallback_reason": self.fallback_reason,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


@dataclass
class Period:
    mode: str  # "date" | "since" | "all"
    start: datetime | None = None
    end: datetime | None = None
    label: str = ""

    def to_json(self) -> dict:
        return {
            "mode": self.mode,
            "label": self.label,
            "start": self.start.isoformat(timespec="seconds") if self.start else None,
            "end": self.end.isoformat(timespec="seconds") if self.end else None,
        }


@dataclass
class DigestArticle:
    article_id: str
    source: str
    title: str
    outlet: str | None
    language: str
    date: str  # ISO day
    date_from: str  # "published" (the text states it) | "ingested"
    new: bool  # in no story of an earlier digest
    duplicate_of: str | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Disagreement:
    about: str | None
    kind: str  # "figure" | "date"
    claims: list[Citation]  # one per article, numbered like the points

    def to_json(self) -> dict:
        return {
            "about": self.about,
            "kind": self.kind,
            "claims": [{"source": c.source, "quote": c.text, "n": c.n, "citation": c.to_dict()} for c in self.claims],
        }


@dataclass
class Story:
    id: str
    title: str
    points: list[Point]
    articles: list[DigestArticle]
    disagreements: list[Disagreement]
    new: bool = False  # a story no earlier digest had
    updated: bool = False  # an earlier story with new articles
    fallback_reason: str | None = None

    @property
    def article_ids(self) -> list[str]:
        return [a.article_id for a in self.articles]

    @property
    def outlets(self) -> list[str]:
        return sorted({a.outlet or a.source for a in self.articles})

    @property
    def languages(self) -> list[str]:
        return sorted({a.language for a in self.articles})

    @property
    def date_range(self) -> tuple[str, str]:
        dates = sorted(a.date for a in self.articles)
        return dates[0], dates[-1]

    def citations(self) -> list[Citation]:
        return [c for p in self.points for c in p.citations] + [c for d in self.disagreements for c in d.claims]

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "points": [p.to_json() for p in self.points],
            "articles": [a.to_json() for a in self.articles],
            "article_ids": self.article_ids,
            "outlets": self.outlets,
            "outlet_count": len(self.outlets),
            "languages": self.languages,
            "date_range": list(self.date_range),
            "disagreements": [d.to_json() for d in self.disagreements],
            "new": self.new,
            "updated": self.updated,
            "fallback_reason": self.fallback_reason,
        }


@dataclass
class Digest:
    generated_at: datetime
    period: Period
    selection: dict  # how many articles were chosen by published date / by ingest time, and the rule
    previous_digest: str | None  # when the digest these marks compare with was made
    engine: str
    stories: list[Story]
    seconds: float = 0.0

    def citations(self) -> list[Citation]:
        """Every citation once, by number (numbers run through the whole digest)."""
        by_n: dict[int, Citation] = {}
        for s in self.stories:
            for c in s.citations():
                by_n.setdefault(c.n, c)
        return [by_n[n] for n in sorted(by_n)]

    def to_json(self) -> dict:
        return {
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "period": self.period.to_json(),
            "selection": self.selection,
            "previous_digest": self.previous_digest,
            "engine": self.engine,
            "stories": [s.to_json() for s in self.stories],
            "seconds": self.seconds,
        }
