"""An article's own headline: the HTML page's <h1> or <title> (less a " | Outlet" suffix), a
Markdown "# " heading, or else the first line of the text that reads as a title.

Scraped pages put other short lines first; none of them is a headline: dates and timestamps
("Stand: 19.01.2026, 06:45 Uhr", "16 July, 2025"), datelines ("BEIJING, February 7, 2026, 01:15
GMT+8", "HAMBURG, Jan 19 (Continental Wire) -"), bylines ("By Laura Finch", "Von Jens Hartmann"),
section labels and outlet names (one to four words: "Wirtschaft", "Energy & Climate",
"Harbor Business Daily"), paths of such labels ("Outlet › Business › Industry", "The Rhine
Observer — English edition"), and counters or share prompts (already boilerplate)."""

from __future__ import annotations

import html
import re

from rag.text.dates import is_dateline_or_stamp, parse
from rag.text.lexicon import ENGLISH_WEEKDAYS, GERMAN_WEEKDAYS, MONTHS

_SEPARATORS = re.compile(r"\s*(?:[›»|/>•·]|\s[-–—]\s|[()\[\]])\s*")
_BYLINE = re.compile(r"^\s*(by|von|from|text:|autor(in)?:|author:|written by|reporting by)\s+\S", re.I)
_DATELINE = re.compile(r"^[A-ZÄÖÜ][A-ZÄÖÜ .'-]{2,}(?:,|\s[-–—])")  # "HAMBURG, Jan 19 …", "DRESDEN —"
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
MIN_WORDS = 5


def _clean_html(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def from_html(raw: str) -> str | None:
    for pattern in (_H1, _TITLE):
        m = pattern.search(raw)
        if m:
            text = _clean_html(m.group(1))
            if pattern is _TITLE:
                text = re.split(r"\s+[|–—]\s+|\s+-\s+(?=[^-]+$)", text)[0].strip()  # "Headline | Outlet"
            if reads_as_title(text):
                return text
    return None


_WHEN = "|".join(sorted(map(re.escape, [*MONTHS, *ENGLISH_WEEKDAYS, *GERMAN_WEEKDAYS]), key=len, reverse=True))
_PLACE = r"[A-ZÄÖÜ][\wÄÖÜäöüß'.-]+(?:[ /][A-ZÄÖÜ][\wÄÖÜäöüß'.-]+)*"
_CAPS_PLACE = r"[A-ZÄÖÜ][A-ZÄÖÜ'-]{2,}(?:[ /][A-ZÄÖÜ][A-ZÄÖÜ'-]+)*"
_DASH = r"\s*(?:--|[-–—])\s+(?=\S)"
_DATELINE_LEAD = re.compile(
    rf"^(?:{_CAPS_PLACE}(?:,[^–—()]{{0,40}}?)?\s*(?:\([^)]{{1,40}}\))?|{_PLACE}(?:,[^–—()]{{0,40}}?)?\s*\([^)]{{1,40}}\)){_DASH}"
)  # "BERLIN (Reuters) – ", "SAN JOSE, Calif. (AP) — ", "HAMBURG — ", "Hamburg (dpa) – ", "BERLIN -- "


def is_byline(line: str) -> bool:
    """A short line naming the author ("By Max Power", "Von Jens Hartmann | 3. Nov 2026"), not a
    sentence that starts with "By 2030," or "From January"."""
    m = _BYLINE.match(line)
    if not m or len(line.split()) > 12 or line.rstrip().endswith((".", "!", "?")):
        return False
    rest = line[m.end() - 1 :].lstrip()
    return rest[:1].isupper() and not re.match(rf"(?:{_WHEN})\b", rest, re.I)  # not "From January"


def without_dateline(line: str) -> str:
    """A first sentence with the dateline in front of it taken off."""
    m = _DATELINE_LEAD.match(line)
    return line[m.end() :] if m else line


def reads_as_title(line: str) -> bool:
    line = line.strip().lstrip("#").strip()
    words = line.split()
    if len(words) < MIN_WORDS or len(line) > 200:
        return False
    if max(len(part.split()) for part in _SEPARATORS.split(line)) < MIN_WORDS - 1:
        return False  # a path of short labels: "Outlet › Business › Industry", "Observer (English edition)"
    if _BYLINE.match(line) or is_dateline_or_stamp(line):
        return False
    if _DATELINE.match(line) and (parse(line) or re.search(r"\(|\b(GMT|UTC)\b", line)):
        return False
    return not line.endswith(":")


def from_text(lines: list[str]) -> str | None:
    """The first line that reads as a title, among the header lines before the body; a Markdown
    heading wins."""
    for line in lines[:12]:
        if line.lstrip().startswith("# ") and reads_as_title(line):
            return line.strip().lstrip("#").strip()
    for line in lines[:8]:
        stripped = line.strip()
        if is_body(stripped):
            break  # the headline comes before the body
        if reads_as_title(stripped):
            return stripped.lstrip("#").strip()
    return None


def is_body(line: str) -> bool:
    """Article prose: a sentence of a dozen words or more, or several sentences in one line."""
    sentence_end = line.rstrip("\"'”“»").endswith((".", "!", "?"))
    return (sentence_end and len(line.split()) >= 12) or bool(re.search(r"[a-zäöüß]{2}[.!?] [A-ZÄÖÜ]", line))
