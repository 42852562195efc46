"""Terminal rendering of answers and listings (JSON output is to_dict() as is)."""

from __future__ import annotations

import textwrap

from rag.answer.result import Answer


def answer_text(a: Answer, streamed: str = "") -> str:
    lines = []
    if a.fallback_reason:
        if streamed:
            lines.append("[the rest of the model's answer could not be verified]")
        lines.append(f"Note: {a.fallback_reason}; showing verified evidence from the articles instead.")
        lines.append("")
    if not streamed or a.fallback_reason:
        lines.append(textwrap.fill(a.answer, width=100))
    if a.closest:
        for c in a.closest:
            lines.append(f"[{c.n}] {c.title} — {c.source}")
            lines.append(textwrap.fill(f"“{c.quote}”", width=100, initial_indent="    ", subsequent_indent="    "))
    if a.citations:
        lines.append("")
        lines.append("Sources:")
        for c in a.citations:
            lines.append(f"[{c.n}] {c.title} — {c.source}")
            lines.append(textwrap.fill(f"“{c.quote}”", width=100, initial_indent="    ", subsequent_indent="    "))
    lines.append("")
    lines.append(f"({a.engine}: {a.model}; {a.timings.get('total', 0):.2f}s)")
    return "\n".join(lines)
