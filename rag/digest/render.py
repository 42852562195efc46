"""Digest as Markdown (terminal, files) and as one self-contained HTML page: no external assets,
readable on a phone and a desktop, each citation linking to its quote in the sources appendix.
All article text is escaped: it is data, never markup (in Markdown, only a `<` that would open a
tag, so a terminal still shows "AT&T" and "a < b" as written)."""

from __future__ import annotations

import html
import re

from rag.digest.model import Digest, Story


def _meta(s: Story) -> str:
    n = len(s.articles)
    d0, d1 = s.date_range
    dates = d0 if d0 == d1 else f"{d0} – {d1}"
    outlets = s.outlets
    return (
        f"{n} article{'s' * (n != 1)} from {len(outlets)} source{'s' * (len(outlets) != 1)} "
        f"({', '.join(outlets)}) · {', '.join(s.languages)} · {dates}"
    )


def _badge(s: Story) -> str:
    return " (new)" if s.new else " (updated)" if s.updated else ""


def _md(text: str) -> str:
    """Article text for Markdown, where raw HTML passes through to whatever renders it."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)


def markdown(digest: Digest) -> str:
    day = digest.generated_at.isoformat()[:10]
    lines = [
        f"# News digest — {day}",
        "",
        f"Period: {digest.period.label}. Selected by published date: "
        f"{digest.selection['by_published_date']}, by ingest time: {digest.selection['by_ingest_time']} "
        "(published date when the text states one, else ingest time).",
    ]
    if digest.previous_digest:
        lines.append(f"Marked new or updated since the previous digest ({digest.previous_digest}).")
    for i, s in enumerate(digest.stories, 1):
        lines += ["", f"## {i}. {_md(s.title)}{_badge(s)}", "", f"_{_md(_meta(s))}_", ""]
        lines += [f"- {_md(p.text)}" for p in s.points]
        for d in s.disagreements:
            claims = "; ".join(f"{_md(c.source)} [{c.n}]" for c in d.claims)
            lines.append(f"- **Sources disagree** on a {d.kind} about {_md(d.about or 'this')}: {claims}")
    lines += ["", "## Sources", ""]
    for c in digest.citations():
        lines.append(f"[{c.n}] {_md(c.title)} — {_md(c.source)}: “{_md(c.text)}”")
    return "\n".join(lines) + "\n"


_CSS = """
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#5f6368;--line:#e0e0e0;--accent:#0b57d0}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#151515;--muted:#9aa0a6;--line:#333;--accent:#8ab4f8}}
*{box-sizing:border-box}body{margin:0;font:17px/1.55 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:46rem;margin:0 auto;padding:1rem 1.1rem 3rem}h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:2rem 0 .3rem;line-height:1.3}.meta,.period{color:var(--muted);font-size:.9rem}
.badge{font-size:.75rem;background:var(--accent);color:var(--bg);border-radius:.6rem;padding:.05rem .45rem;vertical-align:middle}
ul{padding-left:1.2rem}li{margin:.4rem 0}a{color:var(--accent)}sup a{text-decoration:none;padding:0 .1rem}
.disagree{border-left:3px solid #d93025;padding-left:.6rem}
ol.sources li{font-size:.9rem;margin:.7rem 0;scroll-margin-top:1rem}ol.sources li:target{background:rgba(11,87,208,.12)}
blockquote{margin:.2rem 0 0;padding-left:.7rem;border-left:3px solid var(--line)}
"""  # noqa: E501 (the stylesheet as served: rewrapping it would change the page's bytes)


def _cite_links(text: str) -> str:
    return re.sub(r"\[(\d+)\]", lambda m: f'<sup><a href="#q{m.group(1)}">[{m.group(1)}]</a></sup>', text)


def page(digest: Digest) -> str:
    e = html.escape
    day = digest.generated_at.isoformat()[:10]
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>News digest {e(day)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>News digest — {e(day)}</h1>",
        f'<p class="period">{e(digest.period.label.capitalize())}. Selected by published date: '
        f"{digest.selection['by_published_date']}, "
        f"by ingest time: {digest.selection['by_ingest_time']}.</p>",
    ]
    for i, s in enumerate(digest.stories, 1):
        badge = _badge(s).strip(" ()")
        parts.append(
            f'<section id="story-{e(s.id)}"><h2>{i}. {e(s.title)}'
            + (f' <span class="badge">{badge}</span>' if badge else "")
            + "</h2>"
        )
        parts.append(f'<p class="meta">{e(_meta(s))}</p><ul>')
        parts += [f"<li>{_cite_links(e(p.text))}</li>" for p in s.points]
        for d in s.disagreements:
            claims = "; ".join(f'{e(c.source)} <sup><a href="#q{c.n}">[{c.n}]</a></sup>' for c in d.claims)
            parts.append(
                f'<li class="disagree"><strong>Sources disagree</strong> on a {e(d.kind)} about '
                f"{e(d.about or 'this')}: {claims}</li>"
            )
        parts.append("</ul></section>")
    parts.append('<h2 id="sources">Sources</h2><ol class="sources">')
    for c in digest.citations():
        parts.append(
            f'<li id="q{c.n}" value="{c.n}"><strong>{e(c.title)}</strong> — {e(c.source)}'
            f"<blockquote>{e(c.text)}</blockquote></li>"
        )
    parts.append("</ol></main></body></html>")
    return "\n".join(parts) + "\n"
