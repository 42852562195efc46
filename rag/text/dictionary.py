"""English <-> German word translations from a general dictionary: the Ding dictionary
(TU Chemnitz, GPL; Debian package `trans-de-en`, ~200k entries, read from
/usr/share/trans/de-en or RAG_DICTIONARY). It is compiled once into an SQLite table in the model
cache, so a query looks up its few words in milliseconds instead of parsing 25 MB.

Ding lines look like `Werk {n} (Produktionsstätte) | ab Werk :: plant; works [Br.] | ex works`:
German and English halves split by `::`, aligned sub-entries by `|` (often inflected forms:
`trainiert | trained`), alternatives by `;`, and notes in {}, [], (). Each single word or
two-word phrase of one side maps to the words of the aligned other side, first senses first.

A second table holds, for each German word, one English phrase to read it as (`gloss_phrase`):
the first English alternative of the entry where the word is the headword of its sub-entry
(`Tag {m} | Tage {pl} :: day | days` gives Tage -> days, not the `menstrual` of an entry listing
Tage as its fifth synonym), written as the dictionary writes it (Munich, not munich)."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from functools import lru_cache
from pathlib import Path

DEFAULT_SOURCES = (Path("/usr/share/trans/de-en"),)
MAX_TRANSLATIONS = 6
FORMAT = 3
_NOTES = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\([^)]*\)|<[^>]*>|/[^/ ]+/")
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


def _clean(term: str) -> list[str]:
    """The words of one alternative, notes and the English infinitive's `to` removed."""
    found = [w.lower() for w in _WORD.findall(_NOTES.sub(" ", term))]
    if found[:1] == ["to"] and len(found) > 1:
        found = found[1:]
    return found


_ABBREVIATION = re.compile(r"/([^/ ]+)/")


def parse_line(line: str) -> list[tuple[str, str, list[str]]]:
    """(language of the key, key, translations) for one dictionary line."""
    if line.startswith("#") or " :: " not in line:
        return []
    de_side, en_side = line.rstrip("\n").split(" :: ", 1)
    out = []
    for de_part, en_part in zip(de_side.split(" | "), en_side.split(" | ")):
        de_terms = [_clean(t) for t in de_part.split(";")]
        en_terms = [_clean(t) for t in en_part.split(";")]
        de_words = [w for t in de_terms for w in t]
        en_words = [w for t in en_terms for w in t]
        for lang, terms, other in (("de", de_terms, en_words), ("en", en_terms, de_words)):
            for t in terms:
                if 1 <= len(t) <= 2 and other:
                    out.append((lang, " ".join(t), other))
        for lang, part, other in (("de", de_part, en_words), ("en", en_part, de_words)):
            for abbr in _ABBREVIATION.findall(part):  # "chief executive officer /CEO/"
                if other and abbr.replace(".", "").isalpha():
                    out.append((lang, abbr.lower().replace(".", ""), other))
    return out


# Words around the one a sub-entry is about: placeholders (etw. sagen, to say sth.), the pronouns
# of conjugated forms (ich/er/sie sagte :: I/he/she said) and German articles (die Menschen {pl}).
_EN_PLACEHOLDERS = {"sth", "sb", "sb's"}
_EN_LEADING = {"to", "i", "he", "she", "it", "we", "you", "they"}
_DE_AROUND = {"etw", "jdm", "jdn", "jds", "sich", "ich", "du", "er", "sie", "es", "wir", "ihr", "der", "die", "das"}


def _phrase_words(term: str) -> list[str]:
    """The words of one English alternative as written (case kept), notes, placeholders and a
    leading `to` or pronoun removed."""
    found = [w for w in _WORD.findall(_NOTES.sub(" ", term)) if w.lower() not in _EN_PLACEHOLDERS]
    while len(found) > 1 and found[0].lower() in _EN_LEADING:
        found = found[1:]
    return found


def gloss_entries(line: str) -> list[tuple[str, int, str]]:
    """(German word, rank, English phrase) for one dictionary line: each single German word of a
    sub-entry with the first English alternative (one to three words) of the aligned sub-entry.
    The rank is the word's place among its sub-entry's alternatives: 0 for the headword."""
    if line.startswith("#") or " :: " not in line:
        return []
    de_side, en_side = line.rstrip("\n").split(" :: ", 1)
    out = []
    for de_part, en_part in zip(de_side.split(" | "), en_side.split(" | ")):
        english = next((w for w in (_phrase_words(t) for t in en_part.split(";")) if 1 <= len(w) <= 3), None)
        if english is None:
            continue
        for rank, term in enumerate(de_part.split(";")):
            words = [w for w in _clean(term) if w not in _DE_AROUND]
            if len(words) == 1:
                out.append((words[0], rank, " ".join(english)))
    return out


def source_path() -> Path | None:
    given = os.environ.get("RAG_DICTIONARY")
    if given:
        return Path(given) if Path(given).is_file() else None
    return next((p for p in DEFAULT_SOURCES if p.is_file()), None)


def compile_dictionary(source: Path, target: Path) -> Path:
    table: dict[tuple[str, str], list[str]] = {}
    glosses: dict[str, tuple[int, str]] = {}  # German word -> (best rank, phrase); earlier lines win ties
    with source.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            for word, rank, phrase in gloss_entries(line):
                if word not in glosses or rank < glosses[word][0]:
                    glosses[word] = (rank, phrase)
            for lang, key, words in parse_line(line):
                have = table.setdefault((lang, key), [])
                for w in words:
                    if len(have) >= MAX_TRANSLATIONS:
                        break
                    if w not in have and w != key:
                        have.append(w)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.execute(
        "CREATE TABLE tr (lang TEXT NOT NULL, key TEXT NOT NULL, vals TEXT NOT NULL, PRIMARY KEY (lang, key))"
        " WITHOUT ROWID"
    )
    db.executemany("INSERT INTO tr VALUES (?, ?, ?)", ((lang, k, " ".join(v)) for (lang, k), v in table.items() if v))
    db.execute("CREATE TABLE gl (key TEXT PRIMARY KEY, phrase TEXT NOT NULL) WITHOUT ROWID")
    db.executemany("INSERT INTO gl VALUES (?, ?)", ((k, phrase) for k, (_, phrase) in glosses.items()))
    db.commit()
    db.close()
    os.replace(tmp, target)
    return target


class Dictionary:
    """Look-ups in one direction or both; an absent dictionary translates nothing."""

    def __init__(self, path: Path | None):
        self.path = path
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False) if path else None
        self._memo: dict[tuple[str, str], tuple[str, ...]] = {}
        self._glosses: dict[str, str | None] = {}

    @property
    def available(self) -> bool:
        return self.db is not None

    def translate(self, word: str, lang: str) -> tuple[str, ...]:
        """Translations of a lower-case word or two-word phrase of language lang ('en' or 'de')."""
        key = (lang, word)
        if key not in self._memo:
            row = self.db.execute("SELECT vals FROM tr WHERE lang=? AND key=?", key).fetchone() if self.db else None
            self._memo[key] = tuple(row[0].split()) if row else ()
        return self._memo[key]

    def either(self, word: str) -> tuple[str, ...]:
        """Translations of a word whose language is not known (German first)."""
        return self.translate(word, "de") + self.translate(word, "en")

    def knows(self, word: str, lang: str) -> bool:
        return bool(self.translate(word, lang))

    def gloss_phrase(self, word: str) -> str | None:
        """The English phrase to read a lower-case German word as (its headword sense), or None."""
        if word not in self._glosses:
            row = self.db.execute("SELECT phrase FROM gl WHERE key=?", (word,)).fetchone() if self.db else None
            self._glosses[word] = row[0] if row else None
        return self._glosses[word]


def compiled_path(cache_dir: Path) -> Path | None:
    """Where the compiled form of the current source lives (None: no dictionary installed)."""
    source = source_path()
    if source is None:
        return None
    st = source.stat()
    tag = hashlib.sha256(f"{FORMAT}:{source}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]
    return Path(cache_dir) / f"dictionary-{tag}.sqlite"


@lru_cache(maxsize=4)
def load(cache_dir: Path) -> Dictionary:
    """The compiled dictionary in cache_dir, compiled on first use; empty when no source exists."""
    target = compiled_path(cache_dir)
    if target is None:
        return Dictionary(None)
    if not target.exists():
        source = source_path()
        assert source is not None  # compiled_path found it a moment ago
        compile_dictionary(source, target)
    return Dictionary(target)


@lru_cache(maxsize=1)
def default() -> Dictionary:
    """The dictionary in the configured model cache (RAG_MODELS_DIR, else RAG_HOME/models)."""
    from rag.settings import load_settings

    return load(load_settings().model_cache)


def translations(word: str, limit: int = MAX_TRANSLATIONS) -> tuple[str, ...]:
    """English or German translations of a word (or two-word phrase) in the other language."""
    return default().either(word.lower())[:limit]
