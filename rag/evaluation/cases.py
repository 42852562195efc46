"""Eval cases: YAML files in evals/ (format in evals/README.md), validated strictly by pydantic
models. A malformed file or case is an error that names the file and the case."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from rag.errors import UsageError

QaType = Literal[
    "single", "multi_source", "german_only", "german_question", "multi_fact", "number", "date", "unanswerable"
]
CaseType = Literal[QaType, "summary", "digest"]
QA_TYPES = get_args(QaType)
TYPES = (*QA_TYPES, "summary", "digest")
_LISTS = ("all_of", "any_of", "sources")


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("empty")
    return value


def _number_as_text(value):
    """A fact or file name YAML read as a number (2026, 24.5) is meant as written."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Text = Annotated[StrictStr, AfterValidator(_non_empty)]
Fact = Annotated[StrictStr, BeforeValidator(_number_as_text), AfterValidator(_non_empty)]


class Case(BaseModel):
    """One case of a YAML file; the checks that need the corpus folder read it from the
    validation context."""

    model_config = ConfigDict(extra="forbid")

    id: Text
    type: CaseType
    file: str = ""  # set by the loader, not in the case file
    question: StrictStr = ""
    all_of: list[Fact] = Field(default_factory=list)
    any_of: list[Fact] = Field(default_factory=list)
    sources: list[Fact] = Field(default_factory=list)
    refuse: StrictBool = False  # when not given: true for type unanswerable
    article: Fact | None = None  # summary of one article
    topic: Text | None = None  # summary across articles
    stories: list[Annotated[list[Fact], Field(min_length=1)]] = Field(default_factory=list)  # digest: groups
    story_of: Fact | None = None  # digest: the story holding this article must state the facts
    style: StrictStr | None = None  # a free tag for how the question is phrased (synonym, according_to, ...)

    @model_validator(mode="before")
    @classmethod
    def _refuse_default(cls, data):
        if isinstance(data, dict) and "refuse" not in data:
            data = {**data, "refuse": data.get("type") == "unanswerable"}
        return data

    @property
    def facts(self) -> list[str]:
        return self.all_of + self.any_of

    @model_validator(mode="after")
    def _by_type(self, info: ValidationInfo) -> Case:
        corpus: Path = (info.context or {})["corpus"]
        for src in self.sources:
            if not (corpus / src).is_file():
                raise ValueError(f"source {src!r} is not a file in {corpus}")
        if self.type == "summary":
            self._summary()
        elif self.type == "digest":
            self._digest(corpus)
        else:
            self._question()
        return self

    def _question(self) -> None:
        if not self.question.strip():
            raise ValueError("'question' must be a non-empty string")
        if self.refuse and self.facts:
            raise ValueError("a refused case cannot expect facts")
        if not self.refuse and not self.facts:
            raise ValueError("expects no fact: give all_of or any_of (or refuse: true)")
        if not self.refuse and not self.sources:
            raise ValueError("'sources' (the articles that state the fact) is missing")

    def _summary(self) -> None:
        if bool(self.article) == bool(self.topic):
            raise ValueError("a summary case needs exactly one of 'article' or 'topic'")
        if not self.facts or not self.sources:
            raise ValueError("a summary case needs expected facts (all_of/any_of) and 'sources'")
        self.question = f"summary of {self.article or self.topic}"
        self.refuse = False

    def _digest(self, corpus: Path) -> None:
        for src in (x for g in self.stories for x in g):
            if not (corpus / src).is_file():
                raise ValueError(f"story member {src!r} is not a file in {corpus}")
        if self.story_of is not None and not (corpus / self.story_of).is_file():
            raise ValueError(f"story_of {self.story_of!r} is not a file in {corpus}")
        if not self.stories and not (self.story_of and self.facts):
            raise ValueError("a digest case needs 'stories', or 'story_of' with expected facts")
        self.question = "digest of the corpus"
        self.refuse = False
        if not self.sources and self.story_of:
            self.sources = [self.story_of]


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
        case = _case(path, i, raw, corpus)
        if case.id in seen:
            raise _bad(path, f"case {case.id!r}", "duplicate id")
        seen.add(case.id)
        cases.append(case)
    return CaseFile(path, corpus, cases)


def _case(path: Path, i: int, raw, corpus: Path) -> Case:
    where = f"case {raw['id']!r}" if isinstance(raw, dict) and raw.get("id") else f"case #{i + 1}"
    if not isinstance(raw, dict):
        raise _bad(path, where, "expected a mapping")
    if "file" in raw:
        raise _bad(path, where, "unknown keys ['file']")
    try:
        return Case.model_validate({**raw, "file": str(path)}, context={"corpus": corpus})
    except ValidationError as exc:
        raise _bad(path, where, _problem(exc, raw)) from None


def _problem(exc: ValidationError, raw: dict) -> str:
    """The first problem of a case in the words of the case file (pydantic's own are about types)."""
    errors = exc.errors()
    extra = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if extra:
        return f"unknown keys {extra}"
    first = errors[0]
    key = str(first["loc"][0]) if first["loc"] else ""
    if first["type"] == "value_error" and not key:
        return str(first["ctx"]["error"])
    if key == "type" and isinstance(raw.get("type"), str) and raw["type"].strip():
        return f"type {raw['type']!r} is not one of {sorted(TYPES)}"
    if key in ("id", "type", "question"):
        return f"'{key}' must be a non-empty string"
    if key in _LISTS:
        return f"'{key}' must be a list of non-empty strings"
    if key == "stories":
        return "'stories' must be a list of lists of file names"
    if key == "refuse":
        return "'refuse' must be true or false"
    return f"'{key}': {first['msg']}"


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
