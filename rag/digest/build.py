"""`rag digest`: the period's articles grouped into stories, each with a headline, cited key
points, its outlets, languages, dates and any disagreements between sources. Each digest is kept
under RAG_HOME/digests so the next one can mark what is new."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rag.answer.citations import Numbering, remark
from rag.digest.model import Digest, DigestArticle, Disagreement, Period, Story
from rag.errors import UsageError

_LONGEST_HOURS = 24 * 365 * 200


def parse_period(on: str | None, since: str | None, all_: bool, now: datetime) -> Period:
    if sum(x is not None and x is not False for x in (on, since, all_ or None)) > 1:
        raise UsageError("give only one of --date, --since and --all")
    if all_:
        return Period("all", label="all stored articles")
    if on:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            raise UsageError(f"--date {on!r} is not a date like 2026-02-06") from None
        if day == date.max:
            raise UsageError(f"--date {on!r} is out of range")
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return Period("date", start, start + timedelta(days=1), f"on {day.isoformat()}")
    spec = since or "24h"
    m = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", spec)
    if not m or int(m.group(1)) == 0:
        raise UsageError(f"--since {spec!r} is not a duration like 24h, 3d or 1w")
    hours = int(m.group(1)) * {"h": 1, "d": 24, "w": 168}[m.group(2)]
    back = timedelta(hours=min(hours, _LONGEST_HOURS))  # "--since 1000000d": everything, not an overflow
    return Period("since", now - back, now, f"since {spec.strip()} ({hours} h)")


def article_time(row) -> tuple[datetime, str]:
    """The published date when the text states one, else the ingest time."""
    if row.published:
        d = date.fromisoformat(row.published)
        return datetime(d.year, d.month, d.day, tzinfo=UTC), "published"
    return datetime.fromtimestamp(row.ingested_at, tz=UTC), "ingested"


def select(rows, period: Period) -> tuple[list, dict]:
    chosen, by = [], {"published": 0, "ingested": 0}
    for r in rows:
        when, how = article_time(r)
        if period.mode == "all":
            ok = True
        elif period.mode == "date":
            assert period.start is not None and period.end is not None  # parse_period sets them but for "all"
            ok = period.start <= when < period.end
        else:  # a published date is a day: it counts if that day overlaps the period
            assert period.start is not None
            ok = when + timedelta(days=1) > period.start if how == "published" else when >= period.start
        if ok:
            chosen.append(r)
            by[how] += 1
    selection = {
        "by_published_date": by["published"],
        "by_ingest_time": by["ingested"],
        "rule": "an article's published date when its text states one, otherwise the time it was ingested",
    }
    return chosen, selection


def _recent_story_members(stored, assigned: dict[str, str], period: Period) -> list:
    """Stored articles that earlier digests put in a story, dated up to a few days (the stories'
    max_days) before the period."""
    if not assigned or period.start is None:
        return []
    from rag.digest.stories import fitted

    since = period.start - timedelta(days=fitted().max_days)
    return [r for r in stored if r.article_id in assigned and article_time(r)[0] >= since]


def story_id(rows) -> str:
    anchor = min(rows, key=lambda r: (article_time(r)[0], r.article_id))
    return hashlib.sha256(anchor.article_id.encode()).hexdigest()[:10]


def _headline(items) -> str:
    import numpy as np

    vecs = np.array([i.vector for i in items], dtype=np.float32)
    centre = vecs.mean(axis=0)
    order = sorted(range(len(items)), key=lambda k: (items[k].row.language != "en", -float(vecs[k] @ centre)))
    return items[order[0]].row.title


def build(ws, rows, period: Period, selection: dict, engine, now: datetime, regroup: bool = False, stored=()) -> Digest:
    """rows: the period's articles; stored: all stored articles (where earlier stories' recent
    members are found)."""
    from rag.digest.keypoints import disagreements, story_points
    from rag.digest.points import llm_points, point_from
    from rag.digest.stories import group, prepare

    numbering = Numbering()
    previous = last_digest(ws.home)
    assigned = {} if regroup else known_stories(ws.home)
    shown = {r.article_id for r in rows}
    # A follow-up joins the story of yesterday's reports: the recent members of earlier stories
    # are grouped along as anchors (not shown), or a new article could only start a story.
    anchors = [r for r in _recent_story_members(stored, assigned, period) if r.article_id not in shown]
    items = prepare(list(rows) + anchors, ws.embedder)
    stories: list[Story] = []
    for story in group(items, known=[assigned.get(i.row.article_id) for i in items]):
        story.members = [m for m in story.members if m.row.article_id in shown]
        if not story.members:
            continue
        rows_ = story.rows
        kps = story_points(rows_, k=min(5, max(2, len(rows_) + 1)))
        points = [point_from(ws, kp, numbering) for kp in kps]
        reason = None
        if engine is not None and engine.streams and points:
            from rag.retrieval.search import article_passages

            passages = [p for r in rows_ for p in article_passages(ws.catalog, r, limit=3)]
            generated, reason = llm_points(ws, engine, "the story these passages report", passages, "2 to 5")
            if generated and 2 <= len(generated) <= 5:
                points = generated  # numbers are local to the story; renumber below
        articles = [
            DigestArticle(
                r.article_id,
                r.source,
                r.title,
                r.outlet,
                r.language,
                when.date().isoformat(),
                how,
                new=r.article_id not in assigned,
                duplicate_of=next((m.duplicate_of for m in story.members if m.row is r), None),
            )
            for r in rows_
            for when, how in [article_time(r)]
        ]
        stories.append(
            Story(
                id=story.known_id or story_id(rows_),
                title=_headline(story.members),
                points=points,
                articles=articles,
                disagreements=[_disagreement(ws, d, numbering) for d in disagreements(rows_)],
                new=bool(assigned) and story.known_id is None,
                updated=story.known_id is not None and any(a.new for a in articles),
                fallback_reason=reason,
            )
        )
    # importance: coverage (articles, then outlets), then recency; the id keeps ties stable
    stories.sort(
        key=lambda s: (-len(s.articles), -len(s.outlets), -date.fromisoformat(s.date_range[1]).toordinal(), s.id)
    )
    _renumber(stories)
    return Digest(
        now,
        period,
        selection,
        previous.get("generated_at") if previous else None,
        engine.name.value if engine else "extractive",
        stories,
    )


def _disagreement(ws, d: dict, numbering: Numbering) -> Disagreement:
    from rag.digest.points import cite

    return Disagreement(d["about"], d["kind"], [cite(ws, q, numbering) for q in d["claims"]])


def _renumber(stories: list[Story]) -> None:
    """Citation numbers run through the whole digest in reading order, so links are unique;
    within a story the same quote keeps one number (generated points number their own)."""
    first = 1
    for s in stories:
        numbering = Numbering(first)
        for p in s.points:
            local = {c.n: numbering.number((c.article_id, c.start)) for c in p.citations}
            p.text = remark(p.text, local)
            p.citations = [replace(c, n=local[c.n]) for c in p.citations]
        for d in s.disagreements:
            d.claims = [replace(c, n=numbering.number((c.article_id, c.start))) for c in d.claims]
        first = numbering.next


def history_dir(home: Path) -> Path:
    return home / "digests"


def last_digest(home: Path) -> dict | None:
    files = sorted(history_dir(home).glob("digest-*.json"))
    for f in reversed(files):
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None


def _assignments_file(home: Path) -> Path:
    return history_dir(home) / "stories.json"


def known_stories(home: Path) -> dict[str, str]:
    """article_id -> the story id earlier digests gave it. Stories keep their ids and members from
    digest to digest; new articles join one or start their own (stories.group)."""
    try:
        data = json.loads(_assignments_file(home).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data["articles"].items()}
    except FileNotFoundError:
        return _from_records(home)
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        raise UsageError(
            f"{_assignments_file(home)} is damaged; run `rag digest --regroup` to group the "
            "stories afresh (story ids then change)"
        ) from None


def _from_records(home: Path) -> dict[str, str]:
    """Digests written before stories.json existed: their records, oldest first, later ones win."""
    assigned: dict[str, str] = {}
    for f in sorted(history_dir(home).glob("digest-*.json")):
        try:
            for s in json.loads(f.read_text(encoding="utf-8")).get("stories", []):
                assigned |= {str(a): str(s["id"]) for a in s.get("article_ids", [])}
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            continue
    return assigned


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def remember(home: Path, digest: Digest, regroup: bool = False) -> Path:
    d = history_dir(home)
    d.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    # the assignments first: if the record below is lost, the next digest still keeps the ids
    with FileLock(str(d / "stories.lock")):  # two digests at once: neither loses the other's
        try:
            assigned = known_stories(home)
        except UsageError:
            if not regroup:
                raise
            assigned = {}  # damaged: regroup starts the memory afresh
        for s in digest.stories:
            for a in s.article_ids:
                if regroup:
                    assigned[a] = s.id
                else:  # a digest running meanwhile may have placed it first: the first word stands
                    assigned.setdefault(a, s.id)
        _write_atomic(_assignments_file(home), json.dumps({"version": 1, "articles": assigned}))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = d / f"digest-{stamp}.json"
    record = {
        "generated_at": digest.generated_at.isoformat(timespec="seconds"),
        "period": digest.period.to_json(),
        "stories": [{"id": s.id, "article_ids": s.article_ids} for s in digest.stories],
    }
    _write_atomic(path, json.dumps(record))
    return path


def make_digest(
    ws, on: str | None, since: str | None, all_: bool, engine, now: datetime | None = None, regroup: bool = False
) -> Digest:
    """regroup: forget the stories of earlier digests and group afresh (new ids)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    period = parse_period(on, since, all_, now)
    rows = ws.catalog.articles()
    if not rows:
        from rag.errors import StoreEmptyError

        raise StoreEmptyError(f"the store in {ws.home} is empty; run `rag ingest PATH` first")
    chosen, selection = select(rows, period)
    if not chosen:
        raise UsageError(
            f"no articles {period.label} ({len(rows)} stored, dated by published date or else ingest "
            "time); widen the period, e.g. --since 7d or --all"
        )
    digest = build(ws, chosen, period, selection, engine, now, regroup, stored=rows)
    remember(ws.home, digest, regroup)
    digest.seconds = round(time.perf_counter() - started, 3)
    return digest
