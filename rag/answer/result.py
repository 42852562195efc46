"""What `rag ask` returns: the answer, its citations (verbatim quotes) and how it was made."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.spans import Citation

CANNOT_ANSWER = "The articles don't say."
CLOSEST = "The articles don't say directly. Closest passages:"  # a refusal that shows what came near


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    engine: str
    model: str
    verified: bool = True
    fallback_reason: str | None = None  # set when a generated answer was replaced by verified evidence
    timings: dict[str, float] = field(default_factory=dict)
    closest: list[Citation] = field(default_factory=list)  # when refused: relevant sentences, not answers

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "engine": self.engine,
            "model": self.model,
            "verified": self.verified,
            "fallback_reason": self.fallback_reason,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "closest": [c.to_dict() for c in self.closest],
        }
