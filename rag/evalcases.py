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
_KEYS = {"id", "type", "question", "all_of", "any_of", "sources", "refuse", "top_k"}


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
    cases, seen = [], set()
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
    for key in ("id", "type", "question"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _bad(path, where, f"'{key}' must be a non-empty string")
    if raw["id"] in seen:
        raise _bad(path, where, "duplicate id")
    seen.add(raw["id"])
    if raw["type"] not in QA_TYPES:
        raise _bad(path, where, f"type {raw['type']!r} is not one of {sorted(QA_TYPES)}")
    lists = {}
    for key in ("all_of", "any_of", "sources"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and str(v).strip() for v in value):
            raise _bad(path, where, f"'{key}' must be a list of non-empty strings")
        lists[key] = [str(v) for v in value]
    refuse = raw.get("refuse", raw["type"] == "unanswerable")
    if not isinstance(refuse, bool):
        raise _bad(path, where, "'refuse' must be true or false")
    if refuse and (lists["all_of"] or lists["any_of"]):
        raise _bad(path, where, "a refused case cannot expect facts")
    if not refuse and not (lists["all_of"] or lists["any_of"]):
        raise _bad(path, where, "expects no fact: give all_of or any_of (or refuse: true)")
    if not refuse and not lists["sources"]:
        raise _bad(path, where, "'sources' (the articles that state the fact) is missing")
    for src in lists["sources"]:
        if not (corpus / src).is_file():
            raise _bad(path, where, f"source {src!r} is not a file in {corpus}")
    return Case(raw["id"], raw["type"], str(path), raw["question"], lists["all_of"], lists["any_of"],
                lists["sources"], refuse)


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
