"""Grouping articles into stories: articles reporting the same event, across outlets and languages.

Two signals, both from the content: the ledes (first two body sentences, German glossed into
English through the dictionary) compared with MiniLM, and the share of distinctive names and
numbers two articles have in common. A story is one event: two articles whose stated publication
dates lie more than `max_days` apart are never linked. Clusters merge along their strongest link
when the average link between them holds up too. Near-identical texts (syndicated copies) always
join and are marked as such. The parameters are fitted by benchmarks/fit_stories.py on the train
stories of the labelled corpus and chosen on its dev stories (rag/data/stories.json)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING

from rag.ingest.chunking import content_sentences
from rag.text.crosslingual import english, facts, name_words, names, numbers
from rag.text.facts import places
from rag.text.lexicon import MONTHS, RELATIVE_DAYS, WEEKDAYS
from rag.text.words import stem

if TYPE_CHECKING:
    from rag.store.catalog import ArticleRow


@dataclass(frozen=True)
class Params:
    threshold: float = 0.76  # a link: lede similarity + fact_weight x shared facts, at least this
    average_link: float = 0.6  # and the mean over all cross pairs of two merging clusters
    fact_weight: float = 0.5
    max_days: int = 7  # stated publication dates further apart: different events
    conflict_penalty: float = 0.7  # ledes naming different distinctive actors
    date_bonus: float = 0.0  # both dated, within max_days: evidence of one event
    place_penalty: float = 0.0  # ledes placing the event in different places neither article shares
    figure_penalty: float = 0.0  # ledes stating figures of which neither article states the other's


@lru_cache(maxsize=1)
def fitted() -> Params:
    data = json.loads(files("rag").joinpath("data/stories.json").read_text(encoding="utf-8"))
    return Params(**{k: v for k, v in data.items() if k in Params.__dataclass_fields__})


@dataclass
class StoryArticle:
    row: ArticleRow
    lede: str
    facts: set[str]
    vector: list[float] | None = None
    duplicate_of: str | None = None  # article_id of the copy this one repeats


@dataclass
class Story:
    members: list[StoryArticle] = field(default_factory=list)
    known_id: str | None = None  # the id an earlier digest gave this story

    @property
    def rows(self):
        return [m.row for m in self.members]


def lede(row, keep: AbstractSet[str] = frozenset()) -> str:
    from rag.ingest.articles import Article

    sentences = content_sentences(Article.from_row(row))
    body = [s.text for s in sentences if s.text.rstrip("“”\"'’»").endswith((".", "!", "?"))][:2]
    text = " ".join(body) or row.title
    return english(text, keep=keep) if row.language == "de" else text


def story_facts(row, keep: AbstractSet[str] = frozenset()) -> set[str]:
    """The article's names and numbers as an English report would write them: German text is
    glossed first (its capitalised common nouns become English words, not names). The outlet's
    own name (in a footer or dateline) says who published, not what happened. keep: words English
    reports write as names (crosslingual.name_words), kept as they are in German text."""
    text = english(row.text, keep=keep) if row.language == "de" else row.text
    outlet = {stem(w) for w in re.findall(r"\w+", row.outlet)} if row.outlet else set()
    return facts(text) - outlet


def prepare(rows, embedder) -> list[StoryArticle]:
    # a German word the English articles write as a name (Nordwind, Fischer) is read as that name
    keep = set().union(*(name_words(r.text) for r in rows if r.language != "de"))
    items = [StoryArticle(r, lede(r, keep), story_facts(r, keep)) for r in rows]
    vectors = embedder.embed([i.lede for i in items]) if items else []
    for item, vec in zip(items, vectors):
        item.vector = vec
    return items


def dup_key(text: str) -> str:
    """Syndicated copies start alike; differing footers or datelines do not change this key."""
    import hashlib
    import re

    words = re.findall(r"\w+", text.lower())[:40]
    return hashlib.sha1(" ".join(words).encode()).hexdigest()


def _fact_weights(items: list[StoryArticle]) -> dict[str, float]:
    # count each group of copies once, or a syndicated text would make its own facts look common
    unique: dict[str, set[str]] = {}
    for i in items:
        unique.setdefault(dup_key(i.row.text), set()).update(i.facts)
    df = Counter(f for facts_ in unique.values() for f in facts_)
    n = len(unique)
    # a fact most articles share (Tesla, China) says nothing about which story an article belongs to
    return {f: math.log((n + 1) / (c + 0.5)) if c < max(3, 0.5 * n) else 0.0 for f, c in df.items()}


def _published(item: StoryArticle) -> date | None:
    try:
        return date.fromisoformat(item.row.published) if item.row.published else None
    except ValueError:
        return None


_TIMES = {stem(t) for t in (*MONTHS, *WEEKDAYS, *RELATIVE_DAYS)}


def _lede_places(item: StoryArticle) -> set[str]:
    """Places of the lede; "in January", "from Monday" are times, not places."""
    return {stem(p) for p in places(item.lede)} - _TIMES


def _lede_figures(item: StoryArticle) -> set[str]:
    """Figures of the lede, not dates and not one or two (too common to tell events apart)."""
    return {x for x in numbers(item.lede) if not x.startswith("date:") and x not in ("num:1", "num:2")}


def similarity_matrix(items: list[StoryArticle], params: Params | None = None):
    import numpy as np

    params = params or fitted()
    n = len(items)
    if n == 0:
        return np.zeros((0, 0))
    vecs = np.array([i.vector for i in items], dtype=np.float32)
    sim = vecs @ vecs.T
    weights = _fact_weights(items)
    mass = [sum(weights[f] for f in i.facts) or 1.0 for i in items]
    index: dict[str, list[int]] = {}
    for k, i in enumerate(items):
        for f in i.facts:
            if weights[f] > 0:
                index.setdefault(f, []).append(k)
    shared: dict[tuple[int, int], float] = defaultdict(float)
    for f, members in index.items():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                shared[(a, b)] += weights[f]
    for (a, b), w in shared.items():
        overlap = w / min(mass[a], mass[b])
        sim[a, b] += params.fact_weight * overlap
        sim[b, a] += params.fact_weight * overlap
    # Ledes that each name their own distinctive actors and places, sharing few, report different
    # events however alike their wording ("Acme opens a plant in Turin" / "Kestrel opens a lab in Lisbon").
    lede_names = [{f for f in names(i.lede) if weights.get(f, 0) > 0} for i in items]
    for a in range(n):
        for b in range(a + 1, n):
            la, lb = lede_names[a], lede_names[b]
            if len(la) >= 2 and len(lb) >= 2 and len(la & lb) / min(len(la), len(lb)) < 0.5:
                sim[a, b] -= params.conflict_penalty
                sim[b, a] -= params.conflict_penalty
    # "... a battery plant in Porto, 2,950 jobs" and "... a chip factory in Lisbon, 4,700 jobs": an
    # event happens somewhere, with its own figures. Two ledes that each state places (figures),
    # neither article naming any of the other's anywhere, report different events however alike
    # their wording. (Reports of one event that disagree on a figure still share others.)
    for penalty, specifics in ((params.place_penalty, _lede_places), (params.figure_penalty, _lede_figures)):
        if penalty:
            own = [specifics(i) for i in items]
            for a in range(n):
                for b in range(a + 1, n):
                    if own[a] and own[b] and not own[a] & items[b].facts and not own[b] & items[a].facts:
                        sim[a, b] -= penalty
                        sim[b, a] -= penalty
    days = [_published(i) for i in items]
    for a in range(n):
        for b in range(a + 1, n):
            day_a, day_b = days[a], days[b]
            if day_a and day_b:
                if abs((day_a - day_b).days) > params.max_days:
                    sim[a, b] = sim[b, a] = -1.0  # the same company in another month is another story
                else:
                    sim[a, b] += params.date_bonus
                    sim[b, a] += params.date_bonus
    return sim


def _shingles(text: str) -> frozenset[str]:
    w = text.lower().split()
    return frozenset(" ".join(w[i : i + 5]) for i in range(max(1, len(w) - 4)))


def _near_duplicate(sa: frozenset[str], sb: frozenset[str]) -> bool:
    return len(sa & sb) / max(1, min(len(sa), len(sb))) > 0.8


def group(
    items: list[StoryArticle], params: Params | None = None, sim=None, known: list[str | None] | None = None
) -> list[Story]:
    """sim: the similarity_matrix of items for these params, when the caller has it already.

    known: for each item the id of the story an earlier digest put it in, or None for a new
    article. Known stories stay as they are: their members start together and two known stories
    never merge, so a new article can only join one story or start its own (Story.known_id)."""
    params = params or fitted()
    sim = similarity_matrix(items, params) if sim is None else sim
    threshold = params.threshold
    parent = list(range(len(items)))
    known = known or [None] * len(items)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    import numpy as np

    members: dict[int, list[int]] = {k: [k] for k in range(len(items))}
    story_of: dict[int, str] = {}  # cluster root -> the known story it holds
    first_of_story: dict[str, int] = {}
    for k, sid in enumerate(known):
        if sid is None:
            continue
        if sid in first_of_story:
            ra, rb = find(k), find(first_of_story[sid])
            parent[ra] = rb
            members[rb] += members.pop(ra)
        else:
            first_of_story[sid] = k
        story_of[find(k)] = sid

    def merge(ra: int, rb: int) -> bool:
        if ra in story_of and rb in story_of:
            return False  # two stories of earlier digests stay apart
        parent[ra] = rb
        members[rb] += members.pop(ra)
        if ra in story_of:
            story_of[rb] = story_of.pop(ra)
        return True

    # Strongest links first; two clusters merge only if their average link is also decent, so a
    # chain of pairwise-similar articles cannot glue unrelated stories together.
    rows_, cols = np.nonzero(np.triu(sim >= threshold, k=1))
    for a, b in sorted(zip(rows_.tolist(), cols.tolist()), key=lambda e: -sim[e[0], e[1]]):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if float(sim[np.ix_(members[ra], members[rb])].mean()) >= params.average_link:
            merge(ra, rb)
    first_of_key: dict[str, int] = {}
    for k, i in enumerate(items):
        key = dup_key(i.row.text)
        if key in first_of_key and find(k) != find(first_of_key[key]):
            merge(find(k), find(first_of_key[key]))
        first_of_key.setdefault(key, k)
    clusters: dict[int, list[int]] = {}
    for k in range(len(items)):
        clusters.setdefault(find(k), []).append(k)
    stories = []
    shingles: dict[int, frozenset[str]] = {}
    for root, ks in clusters.items():
        story = Story([items[k] for k in ks], story_of.get(root))
        for k in ks if len(ks) > 1 else ():
            shingles[k] = _shingles(items[k].row.text)
        for x_pos, x in enumerate(ks):
            for y in ks[:x_pos]:
                if items[x].duplicate_of is None and _near_duplicate(shingles[x], shingles[y]):
                    items[x].duplicate_of = items[y].row.article_id
        stories.append(story)
    return stories
