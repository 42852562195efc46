"""Reading one article file: decode, HTML to text, boilerplate detection, metadata.

The original text is kept verbatim (it is what quotes are checked against); boilerplate is
recorded as character ranges to leave out of chunks, never cut out of the text."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import NotAnArticleError, UnreadableFileError
from rag.text.lexicon import language_of

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}

_BOILERPLATE = [
    re.compile(r"^\s*\d{0,6}\s*$"),  # stray counters ("0", "56")
    re.compile(r"^\s*(advertising|advertisement|anzeige|werbung|sponsored( content)?)\s*$", re.I),
    re.compile(r"^\s*the post .{3,300} appeared first on .{2,100}$", re.I),
    re.compile(r"newsletter|subscribe|sign up|abonnieren|jetzt anmelden", re.I),
    re.compile(r"^\s*(share|teilen)( this( article)?)?\s*[:!]?\s*$", re.I),
    re.compile(r"^\s*(read more|mehr lesen|weiterlesen|click here|hier klicken)\b.{0,80}$", re.I),
    re.compile(r"^\s*(all rights reserved|©|copyright)\b.{0,120}$", re.I),
]
# Text addressed to a language model, not to readers (indirect prompt injection), and links or
# images a model could be talked into repeating. Such lines are kept in the stored text but never
# chunked, retrieved or quoted. Zero-width characters are removed before matching.
_INJECTION = [
    re.compile(
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|all|your|earlier)\b.{0,30}"
        r"\b(instructions?|rules|prompts?|directions)\b",
        re.I,
    ),
    re.compile(
        r"\b(system prompt|developer message|you are (an?|the) (ai|assistant|language model|llm|chatbot))\b", re.I
    ),
    re.compile(
        r"\b(ai|llm|language model|assistant|chatbot)s?\b.{0,60}\b(must|should|shall|are instructed to|"
        r"need to)\b.{0,40}\b(say|reply|respond|answer|output|write|include|print|append)\b",
        re.I,
    ),
    re.compile(r"\b(respond|reply|answer|output)\b.{0,20}\bonly with\b", re.I),
    re.compile(r"<!--|-->"),
    re.compile(
        r"^\s*(\[\d+\]|passages?\s*:|question\s*:|answer\s*:|sources?\s*:|<\|?(system|assistant|user)\|?>)", re.I
    ),
    re.compile(r"!\[[^\]]*\]\([^)]*\)|\[[^\]]+\]\((https?:|www\.)[^)]*\)|\bhttps?://\S+|\bwww\.\S+\.\S+", re.I),
]
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def suspicious(line: str) -> bool:
    visible = _ZERO_WIDTH.sub("", line)
    return any(p.search(visible) for p in _INJECTION)


_POST_FOOTER = re.compile(
    r"^\s*The post (?P<title>.{3,300}?) appeared first on (?P<outlet>[^.\n]{2,100})\.?\s*$", re.I | re.M
)
_DATE_LINE = re.compile(r"^\s*(?:date|published|veröffentlicht|datum)\s*[:\-]?\s*(?P<date>\d{4}-\d{2}-\d{2})\b", re.I)
_ISO_DATE = re.compile(r"^\s*(?P<date>\d{4}-\d{2}-\d{2})\b")


@dataclass
class Article:
    path: Path | None  # None: rebuilt from a catalog row (keypoints, stories)
    source: str
    text: str
    article_id: str
    title: str
    outlet: str | None
    published: str | None
    language: str
    boilerplate: list[tuple[int, int]] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return len(self.text)

    @classmethod
    def from_row(cls, row) -> Article:
        """A stored article (a catalog row) as the digest stages read it; the catalog keeps the
        text, not the boilerplate spans, so they are found again (a deterministic function of it)."""
        return cls(
            None,
            row.source,
            row.text,
            row.article_id,
            row.title,
            row.outlet,
            row.published,
            row.language,
            boilerplate_ranges(row.text),
        )


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    _BLOCK = {
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "title",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(raw: str) -> str:
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotAnArticleError(name, "binary file, not text")
    for enc in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) else ("utf-8",):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    lenient = data.decode("utf-8", errors="replace")
    if lenient.count("\ufffd") <= 3 and any(ord(ch) > 127 and ch != "\ufffd" for ch in lenient):
        return lenient  # UTF-8 with a stray byte or two: read as Windows-1252, all of it would be garbled
    text = data.decode("cp1252", errors="replace") if _looks_cp1252(data) else data.decode("latin-1")
    if not _reads_as_western(text):
        raise NotAnArticleError(
            name,
            "not UTF-8, nor Latin-1/Windows-1252 text (another encoding, e.g. Shift-JIS or Windows-1250?): "
            "save it as UTF-8",
        )
    return text


def _looks_cp1252(data: bytes) -> bool:
    return any(0x80 <= b <= 0x9F for b in data)


def _reads_as_western(text: str) -> bool:
    """Text of another encoding read as Latin-1/Windows-1252 comes out mostly as accented letters
    and symbols, with bytes Windows-1252 has no character for; in Western European text a few
    letters in ten are accented at most (a word or two alone may have more: "Grüße")."""
    letters = [ch for ch in text if ch.isalpha()]
    accented = sum(not ch.isascii() for ch in letters)
    unmapped = text.count("\ufffd")
    return (accented < 10 or accented <= 0.3 * len(letters)) and unmapped <= max(3, len(text) // 200)


def content_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def boilerplate_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for m in re.finditer(r"[^\n]*", text):
        line = m.group()
        if not line.strip():
            continue
        if len(line) < 300 and any(p.search(line) for p in _BOILERPLATE) or suspicious(line):
            ranges.append((m.start(), m.end()))
    return ranges


def _first_sentence(line: str, limit: int = 120) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", line)
    s = (m.group(1) if m else line).strip()
    if len(s) <= limit:
        return s.rstrip(".")
    return s[:limit].rsplit(" ", 1)[0] + "…"


def extract_metadata(
    text: str, boilerplate: list[tuple[int, int]], raw_html: str | None = None
) -> tuple[str, str | None, str | None]:
    """(title, outlet, published date) as far as the text states them (rag/ingest/headlines.py,
    rag/text/dates.py)."""
    from rag.ingest import headlines
    from rag.text import dates

    footer = _POST_FOOTER.search(text)
    outlet = footer.group("outlet").strip() if footer else None
    stated = dates.publication_date(text)
    published = stated.isoformat() if stated else None
    if footer:
        return footer.group("title").strip(), outlet, published
    skip = set(boilerplate)
    lines = [
        m.group().strip()
        for m in re.finditer(r"[^\n]+", text)
        if (m.start(), m.end()) not in skip and m.group().strip()
    ]
    title = (headlines.from_html(raw_html) if raw_html else None) or headlines.from_text(lines)
    if title:
        return title, outlet, published
    date = _DATE_LINE.match(text.lstrip()[:200]) or _ISO_DATE.match(text.lstrip()[:200])
    for line in lines:  # no line reads as a title: the first sentence that is not a date or byline
        if date and line.lower().startswith(date.group(0).strip().lower()):
            line = line[len(date.group(0).strip()) :].strip()
        if not line or dates.is_dateline_or_stamp(line) or headlines.is_byline(line):
            continue
        line = headlines.without_dateline(line)  # "BERLIN (Reuters) – Germany will …" -> "Germany will …"
        if len(line) <= 150 and not line.endswith((".", "!", "?")):
            return line, outlet, published
        return _first_sentence(line), outlet, published
    return "(untitled)", outlet, published


def read_article(path: Path, source: str, max_bytes: int) -> Article:
    """Raises NotAnArticleError or UnreadableFileError naming the file when it cannot be used."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise NotAnArticleError(
                source, f"{size:,} bytes is over the {max_bytes:,}-byte limit (RAG_INGEST__MAX_FILE_BYTES)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError(source, "cannot read: the file (or the target of its link) is missing") from None
    except PermissionError:
        raise UnreadableFileError(source, "cannot read: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise UnreadableFileError(source, f"cannot read ({exc.strerror or exc})") from None
    text = decode(data, source)
    raw_html = None
    if path.suffix.lower() in {".html", ".htm"}:
        raw_html, text = text, html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise NotAnArticleError(source, "empty file")
    boiler = boilerplate_ranges(text)
    title, outlet, published = extract_metadata(text, boiler, raw_html)
    return Article(
        path=path,
        source=source,
        text=text,
        article_id=content_id(text),
        title=title,
        outlet=outlet,
        published=published,
        language=language_of(text, min_hints=3),
        boilerplate=boiler,
    )
