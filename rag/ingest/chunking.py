"""Token-aware, sentence-respecting chunks with overlap. Each chunk records its character span
in the original article text; boilerplate lines are left out."""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from rag.ingest.articles import Article
from rag.spans import Chunk, Sentence
from rag.text.sentences import split_sentences


def _offline_tiktoken_cache() -> None:
    """tiktoken downloads its BPE files on first use; llama-index-core ships them."""
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return
    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
        if cache.is_dir():
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


@lru_cache(maxsize=4)
def _encoding(name: str):
    _offline_tiktoken_cache()
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(_encoding(encoding).encode(text, disallowed_special=()))


def chunk_id(article_id: str, position: int) -> str:
    return f"{article_id}-{position:04d}"


def content_sentences(article: Article) -> list[Sentence]:
    sentences: list[Sentence] = []
    pos = 0
    for b_start, b_end in [*article.boilerplate, (len(article.text), len(article.text))]:
        sentences.extend(split_sentences(article.text, pos, b_start))
        pos = b_end
    return sentences


def _pieces(sentence: Sentence, max_tokens: int, encoding: str) -> list[Sentence]:
    """A sentence longer than a chunk is cut at word boundaries (spans stay exact)."""
    if count_tokens(sentence.text, encoding) <= max_tokens:
        return [sentence]
    out, start = [], sentence.start
    words = sentence.text.split(" ")
    cur: list[str] = []
    for word in words:
        if cur and count_tokens(" ".join([*cur, word]), encoding) > max_tokens:
            text = " ".join(cur)
            out.append(Sentence(start, start + len(text), text))
            start += len(text) + 1
            cur = []
        cur.append(word)
    if cur:
        text = " ".join(cur)
        out.append(Sentence(start, start + len(text), text))
    return out


def chunk_article(
    article: Article, max_tokens: int = 200, overlap_tokens: int = 40, encoding: str = "cl100k_base"
) -> list[Chunk]:
    units = [p for s in content_sentences(article) for p in _pieces(s, max_tokens, encoding)]
    sizes = [count_tokens(u.text, encoding) for u in units]
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + sizes[j] <= max_tokens):
            total += sizes[j]
            j += 1
        group = units[i:j]
        text = " ".join(u.text for u in group)
        pos = len(chunks)
        chunks.append(
            Chunk(
                group[0].start,
                group[-1].end,
                text,
                chunk_id=chunk_id(article.article_id, pos),
                article_id=article.article_id,
                position=pos,
                tokens=total,
            )
        )
        if j >= len(units):
            break
        # step back over whole sentences worth at most overlap_tokens, always moving forward
        back, k = 0, j
        while k - 1 > i and back + sizes[k - 1] <= overlap_tokens:
            k -= 1
            back += sizes[k]
        i = k
    return chunks


def stored_sentences(catalog, row) -> list[Sentence]:
    """A stored article's sentences as retrieval hands them out: chunk by chunk (overlapping
    chunks repeat a sentence; boilerplate between chunks is left out)."""
    return [s for chunk in catalog.chunks(row.article_id) for s in split_sentences(row.text, chunk.start, chunk.end)]
