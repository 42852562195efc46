"""Publication dates as articles state them, in the common English and German forms: ISO
(2026-03-12, 2026-03-12T08:15:00+01:00), day-first numerals (12.03.2026, 12.3.2026 um 18:40,
09.02.2026 - 07:01:12, and the short 12.03.26 of this century), US numerals (3/12/2026), month
names long and short in either order (March 12, 2026; Mar. 12, 2026; 12 March 2026; Thu 12 Mar
2026; 12-Mar-2026; 12. März 2026; Mittwoch, 22. Oktober 2025; Updated: 4:43pm, 26 Oct, 2021).

The publication date is looked for where pages put it: in the header (the short lines before the
article body), preferring a line that says what the date is (Published, Updated, Stand,
Veröffentlicht, Datum); dates inside body sentences are events, not publication dates."""

from __future__ import annotations

import re
from datetime import date

from rag.text.lexicon import ENGLISH_WEEKDAYS, GERMAN_WEEKDAYS, MONTHS

_MONTH = r"(?P<month>" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\.?"
# "Thu", "Thursday", "Donnerstag", "Donnerstagabend"
_WEEKDAY = re.compile(r"\b(?:" + "|".join([w[:3] for w in ENGLISH_WEEKDAYS] + GERMAN_WEEKDAYS) + r")\w*\b", re.I)
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DAY = r"(?P<day>[0-3]?\d)"
_PATTERNS = [
    re.compile(rf"\b{_YEAR}-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)(?!\d)"),  # ISO, also 2026-03-12T08:15
    re.compile(rf"\b{_DAY}\.\s?(?P<mnum>[01]?\d)\.\s?{_YEAR}\b"),  # 12.03.2026, 12. 3. 2026
    # the German short form, 12.03.26: both parts two digits, nothing glued on (not "v12.03.26",
    # "12.03.265" or a version number "12.03.26.1")
    re.compile(r"(?<![\w.])(?P<day>[0-3]\d)\.(?P<mnum>[01]\d)\.(?P<yy>\d{2})(?!\.?\d)"),
    re.compile(rf"\b(?P<mnum>[01]?\d)/{_DAY}/{_YEAR}\b"),  # US: 3/12/2026
    re.compile(rf"\b{_DAY}(?:\.|st|nd|rd|th)?[\s-]+{_MONTH}[\s,-]+{_YEAR}\b", re.I),  # 12 March 2026, 12-Mar-2026
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I),  # March 12, 2026
]
_MARKER = re.compile(
    r"^\W*(published|updated|last updated|posted|date|dated|stand|veröffentlicht|aktualisiert|"
    r"datum|erschienen|zuletzt aktualisiert)\b",
    re.I,
)
HEADER_LINES = 12


def parse(text: str) -> date | None:
    """The first date written in text, or None."""
    found = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            d = _to_date(m)
            if d:
                found.append((m.start(), d))
    return min(found)[1] if found else None


def _to_date(m: re.Match) -> date | None:
    g = m.groupdict()
    month = int(g["mnum"]) if g.get("mnum") else MONTHS.get(g["month"].lower().rstrip("."))
    day = int(g["day"])
    if month is None:  # a month name we do not know
        return None
    if g.get("mnum") and "/" in m.group() and month > 12 >= day:
        month, day = day, month  # 12/3/2026 written day-first
    year = 2000 + int(g["yy"]) if g.get("yy") else int(g["year"])
    if g.get("yy") and year > date.today().year + 1:
        return None  # "12.03.98" is 1998 or a time, not 2098: an article's date is not decades ahead
    try:
        return date(year, month, day)
    except (TypeError, ValueError):
        return None


def publication_date(text: str) -> date | None:
    """The date the article says it was published or updated, from its header; None if it
    states none."""
    header = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        header.append(line)
        if len(header) >= HEADER_LINES or (len(line) > 200 and len(header) > 3):
            break
    marked = [line for line in header if _MARKER.match(line)]
    for line in marked + [line for line in header if len(line) <= 100 and line not in marked]:
        d = parse(line)
        if d:
            return d
    return None


def is_dateline_or_stamp(line: str) -> bool:
    """A line that is a date, a timestamp or a 'Published/Stand …' note, not a headline."""
    rest = re.sub(r"[\d:.,/\-–—|()+T]|\b(am|pm|uhr|gmt|utc|cet|cest|mez|um)\b", " ", line, flags=re.I)
    rest = re.sub(rf"\b{_MONTH}", " ", rest, flags=re.I)
    rest = _WEEKDAY.sub(" ", rest)
    words = rest.split()
    return bool(parse(line) or re.search(r"\d{1,2}:\d{2}", line)) and (len(words) <= 3 or bool(_MARKER.match(line)))
