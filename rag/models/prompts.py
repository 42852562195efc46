"""Prompt templates live in prompts/ as text files. Placeholders are checked when a template is
loaded, so a typo fails at once with the file name instead of producing a broken prompt."""

from __future__ import annotations

import re
import string
from functools import cache
from importlib.resources import files

from rag.errors import UsageError

REQUIRED = {
    "answer_system": {"cannot_answer"},
    "answer_user": {"passages", "question"},
    "answer_completion": {"passages", "question", "cannot_answer"},
    "summary_system": {"n_points", "cannot_answer"},
    "summary_user": {"passages", "subject"},
    "translate_de_en": {"sentence"},
}


@cache
def load(name: str) -> str:
    try:
        text = files("rag.prompt_templates").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"prompt template prompts/{name}.txt is missing") from None
    return validate(name, text)


def validate(name: str, text: str) -> str:
    try:
        found = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise UsageError(f"prompts/{name}.txt: {exc} (write literal braces as {{{{ and }}}})") from None
    want = REQUIRED.get(name, set())
    if found != want:
        raise UsageError(f"prompts/{name}.txt: placeholders {sorted(found)} but {sorted(want)} are required")
    return text


def render(name: str, **values: str) -> str:
    return load(name).format(**values)


def format_passages(passages) -> str:
    """Passage text is untrusted: anything that looks like our citation markers or delimiters is
    neutralised so an article cannot forge a passage boundary or a citation."""
    blocks = []
    for i, p in enumerate(passages, 1):
        body = re.sub(r"\[(\d+)\]", r"(\1)", p.text)
        body = body.replace("Passages:", "Passages -").replace("Question:", "Question -")
        blocks.append(f"[{i}] {p.title} ({p.source})\n{body}")
    return "\n\n".join(blocks)
