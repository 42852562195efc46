"""Eval cases: YAML files in evals/ (format in evals/README.md), validated strictly. A malformed
file or case is an error that names the file and the case."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import UsageError

QA_TYPES = {"single", "multi_source", "german_only", "german_question", "multi_fact", "number", "date",
            "unanswerable"}
TYPES = QA_TYPES | {"summary", "digest"}
_KEYS = {"id", "type", "question", "all_of", "any_of", "sources", "refuse", "article", "topic", "stories", "story_of",
         "style"}  # style: a free tag for how the question is phrased (synonym, according_to, ...)


@dataclass
class Case:
    id: str
    type: str
    file: str
    question: str
    all_of: list[str] = field(default_factory=list)
    any_of: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    refuse: bool = False
    article: str | None = None  # summary of one article
    topic: str | None = None  # summary across articles
    stories: list[list[str]] = field(default_factory=list)  # digest: groups that must form
    story_of: str | None = None  # digest: the story holding this article must state the facts

    @property
    def facts(self) -> list[str]:
        return self.all_of + self.any_of


@dataclass
class CaseFile:
    path: Path
    corpus: Path
    cases: list[Case]


def normalize(text: str) -> str:
    """Case- and punctuation-insensitive form used to match expected facts."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    text = re.sub(r"[^\w%]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def contains(haystack: str, fact: str) -> bool:
    return f" {normalize(fact)} " in f" {normalize(haystack)} "


def facts_found(case: Case, text: str) -> bool:
    ok_all = all(contains(text, f) for f in case.all_of)
    ok_any = not case.any_of or any(contains(text, f) for f in case.any_of)
    return ok_all and ok_any


def _bad(path: Path, where: str, msg: str) -> UsageError:
    return UsageError(f"{path}: {where}: {msg}")


def load_file(path: Path) -> CaseFile:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else "syntax"
        raise _bad(path, line, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise _bad(path, "top level", "expected a mapping with 'corpus' and a 'cases' list")
    if "corpus" not in data:
        raise _bad(path, "top level", "'corpus' (the folder of articles the cases are about) is missing")
    corpus = (path.parent / str(data["corpus"])).resolve()
    if not corpus.is_dir():
        raise _bad(path, "corpus", f"{corpus} is not a folder")
    cases: list[Case] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["cases"]):
        cases.append(_case(path, i, raw, seen, corpus))
    return CaseFile(path, corpus, cases)


def _case(path: Path, i: int, raw, seen: set[str], corpus: Path) -> Case:
    where = f"case #{i + 1}"
    if not isinstance(raw, dict):
        raise _bad(path, where, "expected a mapping")
    if raw.get("id"):
        where = f"case {raw['id']!r}"
    unknown = set(raw) - _KEYS
    if unknown:
        raise _bad(path, where, f"unknown keys {sorted(unknown)}")
    for key in ("id", "type"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _bad(path, where, f"'{key}' must be a non-empty string")
    if raw["id"] in seen:
        raise _bad(path, where, "duplicate id")
    seen.add(raw["id"])
    if raw["type"] not in TYPES:
        raise _bad(path, where, f"type {raw['type']!r} is not one of {sorted(TYPES)}")
    if raw["type"] == "summary":
        return _summary_case(path, where, raw, corpus)
    if raw["type"] == "digest":
        return _digest_case(path, where, raw, corpus)
    if not isinstance(raw.get("question"), str) or not raw["question"].strip():
        raise _bad(path, where, "'question' must be a non-empty string")
    lists = _facts_and_sources(path, where, raw, corpus)
    refuse = raw.get("refuse", raw["type"] == "unanswerable")
    if not isinstance(refuse, bool):
        raise _bad(path, where, "'refuse' must be true or false")
    if refuse and (lists["all_of"] or lists["any_of"]):
        raise _bad(path, where, "a refused case cannot expect facts")
    if not refuse and not (lists["all_of"] or lists["any_of"]):
        raise _bad(path, where, "expects no fact: give all_of or any_of (or refuse: true)")
    if not refuse and not lists["sources"]:
        raise _bad(path, where, "'sources' (the articles that state the fact) is missing")
    return Case(raw["id"], raw["type"], str(path), raw["question"], lists["all_of"], lists["any_of"],
                lists["sources"], refuse)


def _facts_and_sources(path, where, raw, corpus) -> dict[str, list[str]]:
    lists = {}
    for key in ("all_of", "any_of", "sources"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and str(v).strip() for v in value):
            raise _bad(path, where, f"'{key}' must be a list of non-empty strings")
        lists[key] = [str(v) for v in value]
    for src in lists["sources"]:
        if not (corpus / src).is_file():
            raise _bad(path, where, f"source {src!r} is not a file in {corpus}")
    return lists


def _summary_case(path, where, raw, corpus) -> Case:
    if bool(raw.get("article")) == bool(raw.get("topic")):
        raise _bad(path, where, "a summary case needs exactly one of 'article' or 'topic'")
    lists = _facts_and_sources(path, where, raw, corpus)
    if not (lists["all_of"] or lists["any_of"]) or not lists["sources"]:
        raise _bad(path, where, "a summary case needs expected facts (all_of/any_of) and 'sources'")
    subject = str(raw.get("article") or raw.get("topic"))
    return Case(raw["id"], "summary", str(path), f"summary of {subject}", lists["all_of"], lists["any_of"],
                lists["sources"], article=raw.get("article"), topic=raw.get("topic"))


def _digest_case(path, where, raw, corpus) -> Case:
    stories = raw.get("stories", [])
    if not isinstance(stories, list) or not all(isinstance(g, list) and g for g in stories):
        raise _bad(path, where, "'stories' must be a list of lists of file names")
    for src in (x for g in stories for x in g):
        if not (corpus / str(src)).is_file():
            raise _bad(path, where, f"story member {src!r} is not a file in {corpus}")
    lists = _facts_and_sources(path, where, raw, corpus)
    story_of = raw.get("story_of")
    if story_of is not None and not (corpus / str(story_of)).is_file():
        raise _bad(path, where, f"story_of {story_of!r} is not a file in {corpus}")
    if not stories and not (story_of and (lists["all_of"] or lists["any_of"])):
        raise _bad(path, where, "a digest case needs 'stories', or 'story_of' with expected facts")
    return Case(raw["id"], "digest", str(path), "digest of the corpus", lists["all_of"], lists["any_of"],
                lists["sources"] or ([str(story_of)] if story_of else []),
                stories=[[str(x) for x in g] for g in stories], story_of=story_of)


def load(paths: list[Path]) -> list[CaseFile]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(list(p.glob("*.yaml")) + list(p.glob("*.yml"))))
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"{p}: no such case file or folder")
    if not files:
        raise UsageError(f"no case files (*.yaml) in {', '.join(map(str, paths))}")
    loaded = [load_file(f) for f in files]
    if not any(cf.cases for cf in loaded):
        raise UsageError(f"no cases in {', '.join(map(str, files))}")
    return loaded
