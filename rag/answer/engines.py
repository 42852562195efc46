"""Answer engines. The pipeline (evidence -> generate -> verify -> fall back) is written once in
Engine.answer; variants override generate(). EngineName + make_engine() choose the variant."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from rag.answer import selector
from rag.answer.result import CANNOT_ANSWER, CLOSEST, Answer
from rag.answer.verify import verify
from rag.errors import UsageError
from rag.models import prompts
from rag.retrieval.search import retrieve
from rag.settings import EngineName
from rag.spans import Citation, Passage

OnText = Callable[[str], None]


class Engine:
    name: EngineName
    streams = False

    def __init__(self, ws, cache=None):
        self.ws = ws
        self.cache = cache  # an LLMCache: same engine, model and prompt -> same text (evals)

    @property
    def model(self) -> str:
        return "evidence sentences"

    def build_prompt(self, question: str, passages: list[Passage]) -> str:
        raise NotImplementedError

    def stream(self, prompt: str) -> Iterator[str]:
        raise NotImplementedError

    def generate(self, question: str, passages: list[Passage], texts: dict[str, str]) -> Iterator[str]:
        prompt = self.build_prompt(question, passages)
        cache = self.cache
        if cache is not None:
            hit = cache.get(self.name.value, self.model, prompt)
            if hit is not None:
                yield hit
                return
        parts = []
        for piece in self.stream(prompt):
            parts.append(piece)
            yield piece
        if cache is not None:
            cache.put(self.name.value, self.model, prompt, "".join(parts))

    def complete(self, system: str, user: str) -> str | None:
        """One generated text for a free-form task (summaries, digests), through the reply cache.
        None for engines that do not generate."""
        if not self.streams:
            return None
        prompt = self.task_prompt(system, user)
        if self.cache is not None:
            hit = self.cache.get(self.name.value, self.model, prompt)
            if hit is not None:
                return hit
        text = "".join(self.stream(prompt))
        if self.cache is not None:
            self.cache.put(self.name.value, self.model, prompt, text)
        return text

    def task_prompt(self, system: str, user: str) -> str:
        return f"{system}\n\n{user}\n"

    def ask(self, question: str, on_text: OnText | None = None) -> Answer:
        """The one ask path (CLI, chat, server): retrieve, answer, verify, timed."""
        _check(question)
        t = time.perf_counter()
        passages = retrieve(self.ws, question)
        t_retrieve = time.perf_counter() - t
        result = self.answer(question, passages, on_text)
        result.timings = {"retrieve": t_retrieve, **result.timings, "total": time.perf_counter() - t}
        return result

    def answer(self, question: str, passages: list[Passage], on_text: OnText | None = None) -> Answer:
        timings: dict[str, float] = {}
        texts = {p.article_id: self.ws.catalog.article(p.article_id).text for p in passages}
        t = time.perf_counter()
        streamer = _VerifiedStream(passages, texts, on_text)
        parts = []
        for piece in self.generate(question, passages, texts):
            parts.append(piece)
            streamer.feed("".join(parts))
        timings["generate"] = time.perf_counter() - t
        t = time.perf_counter()
        checked = verify("".join(parts), passages, texts)
        reason = None
        if not checked.ok:
            reason = "the model's answer failed verification (" + "; ".join(checked.problems[:3]) + ")"
            checked = verify("".join(extractive_answer(self.ws, question, passages, texts)), passages, texts)
        closest = closest_citations(self.ws, question, passages, texts) if checked.refused else []
        timings["verify"] = time.perf_counter() - t
        return Answer(
            question,
            CLOSEST if closest else checked.text,
            checked.refused,
            checked.citations,
            self.name.value,
            self.model,
            verified=checked.ok,
            fallback_reason=reason,
            timings=timings,
            closest=closest,
        )


class _VerifiedStream:
    """Streams a generated answer sentence by sentence, passing on only what verifies: the text of
    a weak model never reaches the user unchecked. Stops at the first sentence that fails."""

    def __init__(self, passages, texts, on_text: OnText | None):
        self.passages, self.texts, self.on_text = passages, texts, on_text
        self.sent = ""
        self.stopped = on_text is None
        self.done = 0

    def feed(self, text: str) -> None:
        from rag.text.sentences import split_sentences

        if self.stopped or self.on_text is None:  # (no on_text: stopped from the start)
            return
        sentences = split_sentences(text)
        if len(sentences) - 1 <= self.done:
            return  # the last sentence may still be growing
        self.done = len(sentences) - 1
        prefix = text[: sentences[-1].start]
        checked = verify(prefix, self.passages, self.texts)
        if not checked.ok or checked.refused:
            self.stopped = True
            return
        if checked.text.startswith(self.sent) and len(checked.text) > len(self.sent):
            self.on_text(checked.text[len(self.sent) :])
            self.sent = checked.text


def extractive_answer(ws, question: str, passages: list[Passage], texts: dict[str, str]) -> list[str]:
    """The selected evidence sentences, each followed by its passage marker; or the refusal."""
    chosen = selector.choose(ws, question, passages, texts).chosen
    if not chosen:
        return [CANNOT_ANSWER]
    number = {p.chunk_id: i for i, p in enumerate(passages, 1)}
    return [" ".join(f"{c.text} [{number[c.passage.chunk_id]}]" for c in chosen)]


def closest_citations(ws, question: str, passages: list[Passage], texts: dict[str, str]) -> list[Citation]:
    """For a refusal: the relevant sentences that fell short of answering, as citations."""
    closest = selector.choose(ws, question, passages, texts).closest
    return [
        Citation(
            e.start,
            e.end,
            e.text,
            n=n,
            article_id=e.passage.article_id,
            source=e.passage.source,
            title=e.passage.title,
            chunk_id=e.passage.chunk_id,
        )
        for n, e in enumerate(closest, 1)
    ]


class ExtractiveEngine(Engine):
    name = EngineName.extractive

    def generate(self, question, passages, texts):
        yield from extractive_answer(self.ws, question, passages, texts)


class LocalEngine(Engine):
    name = EngineName.local
    streams = True

    @property
    def model(self) -> str:
        from rag.models.local import model_path

        return model_path(self.ws.settings).name

    def build_prompt(self, question, passages) -> str:
        return prompts.render(
            "answer_completion",
            passages=prompts.format_passages(passages),
            question=question,
            cannot_answer=CANNOT_ANSWER,
        )

    def stream(self, prompt):
        from rag.models.local import stream_completion

        yield from stream_completion(self.ws.settings, prompt)


class OpenAIEngine(Engine):
    name = EngineName.openai
    streams = True

    @property
    def model(self) -> str:
        return self.ws.settings.openai.model

    def build_prompt(self, question, passages) -> str:
        system = prompts.render("answer_system", cannot_answer=CANNOT_ANSWER)
        user = prompts.render("answer_user", passages=prompts.format_passages(passages), question=question)
        return json.dumps({"system": system, "user": user}, ensure_ascii=False)

    def task_prompt(self, system: str, user: str) -> str:
        return json.dumps({"system": system, "user": user}, ensure_ascii=False)

    def stream(self, prompt):
        from rag.models.openai_api import stream_chat

        s = self.ws.settings
        messages = json.loads(prompt)
        yield from stream_chat(s.openai, s.generation, messages["system"], messages["user"])


ENGINES: dict[EngineName, type[Engine]] = {
    EngineName.extractive: ExtractiveEngine,
    EngineName.local: LocalEngine,
    EngineName.openai: OpenAIEngine,
}


def parse_engine(value: str | None, settings) -> EngineName:
    if value is None:
        return settings.default_engine()
    try:
        return EngineName(value.lower())
    except ValueError:
        raise UsageError(f"unknown engine {value!r}: choose one of {', '.join(e.value for e in EngineName)}") from None


def make_engine(ws, name: EngineName, cache=None) -> Engine:
    if name is EngineName.openai:
        from rag.models.openai_api import make_client

        make_client(ws.settings.openai)  # fails fast with the fix when no key/base URL is set
    return ENGINES[name](ws, cache)


def ask(ws, question: str, engine: EngineName, on_text: OnText | None = None, cache=None) -> Answer:
    """A one-shot ask (`rag ask`); warm processes keep their engines (rag/service.py)."""
    _check(question)  # before the engine: an empty question is the first thing to fix
    return make_engine(ws, engine, cache).ask(question, on_text)


def _check(question: str) -> None:
    if not question.strip():
        raise UsageError("the question is empty")
