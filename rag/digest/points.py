"""Cited points, the unit of summaries and digests: a key point's quotes as numbered citations,
or points written by a generating engine and verified like answers (any that fails: none)."""

from __future__ import annotations

import re
from dataclasses import replace

from rag.answer.citations import Numbering, remark
from rag.answer.result import CANNOT_ANSWER
from rag.answer.verify import verify
from rag.digest.keypoints import KeyPoint
from rag.digest.model import Point
from rag.models import prompts
from rag.spans import Citation, Quote


def chunk_of(ws, article_id: str, start: int) -> str:
    for c in ws.catalog.chunks(article_id):
        if c.start <= start < c.end:
            return c.chunk_id
    return f"{article_id}-0000"


def cite(ws, q: Quote, numbering: Numbering) -> Citation:
    """q as a citation numbered across a whole summary or digest: the same quote keeps its number."""
    return Citation(
        q.start,
        q.end,
        q.text,
        n=numbering.number((q.article_id, q.start)),
        article_id=q.article_id,
        source=q.source,
        title=q.title,
        chunk_id=chunk_of(ws, q.article_id, q.start),
    )


def point_from(ws, kp: KeyPoint, numbering: Numbering) -> Point:
    cites = [cite(ws, q, numbering) for q in kp.quotes]
    return Point(kp.quote.text + " " + "".join(f"[{c.n}]" for c in cites), cites)


def llm_points(ws, engine, subject: str, passages, n_points: str) -> tuple[list[Point] | None, str | None]:
    """Points written by a generating engine, each verified; (None, reason) when any fails."""
    system = prompts.render("summary_system", n_points=n_points, cannot_answer=CANNOT_ANSWER)
    user = prompts.render("summary_user", passages=prompts.format_passages(passages), subject=subject)
    text = engine.complete(system, user)
    if text is None:
        return None, None
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return None, "the model wrote no points"
    texts = {p.article_id: ws.catalog.article(p.article_id).text for p in passages}
    points: list[Point] = []
    numbering = Numbering()
    for line in lines[:6]:
        checked = verify(line, passages, texts)
        if not checked.ok or checked.refused:
            return None, "a point failed verification (" + "; ".join(checked.problems[:2] or ["refusal"]) + ")"
        # numbers run across points: the same quote keeps its number
        cites = [replace(c, n=numbering.number((c.article_id, c.start))) for c in checked.citations]
        local = {c.n: nc.n for c, nc in zip(checked.citations, cites)}
        points.append(Point(remark(checked.text, local), cites))
    return points, None
