"""Citation numbers, the one renumberer: numbers given by first appearance to whatever identifies
a citation (a passage an answer cites, a quote's place in its article), and [n] markers in text
rewritten through the resulting mapping. Answers, summaries and digests all number this way."""

from __future__ import annotations

import re
from collections.abc import Hashable

MARKER = re.compile(r"\[(\d+)\]")
# as models write them: "[1]", "[1, 2]", with the space before them
MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


class Numbering:
    """1, 2, 3, … by first appearance; the same key keeps its number. `first` lets a digest's
    stories continue one count."""

    def __init__(self, first: int = 1):
        self.by_key: dict[Hashable, int] = {}
        self.next = first

    def number(self, key: Hashable) -> int:
        if key not in self.by_key:
            self.by_key[key] = self.next
            self.next += 1
        return self.by_key[key]


def remark(text: str, mapping: dict[int, int]) -> str:
    """[n] markers rewritten through mapping; numbers it does not know stay as they are."""
    return MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", text)
