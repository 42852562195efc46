"""Command line: `rag ingest`, `rag ask`, `rag summarize`, `rag digest`, `rag status`, `rag sources`, `rag eval`.

Heavy libraries are imported inside commands so `rag --help` stays fast. Domain errors become
one-line messages and exit codes here, and only here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rag.errors import LocalModelError, RagError

# rag uses no pydantic plugins; looking them up scans every installed package's entry points
# (15-20 ms of each cold command)
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

if TYPE_CHECKING:
    from rich.progress import Progress

app = typer.Typer(
    name="rag",
    help="Answers questions about news articles with verified, verbatim citations. Offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs ~80 ms of imports per --help
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")]


def _workspace(short_lived: bool = False):
    from rag.settings import load_settings
    from rag.workspace import Workspace

    return Workspace(load_settings(), short_lived=short_lived)


def _emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (.txt, .md, .html). Default: seeds/")
    ] = None,
    prune: Annotated[bool, typer.Option(help="Remove stored articles whose files under PATHS are gone.")] = False,
    lock_timeout: Annotated[float, typer.Option(help="Seconds to wait for another writer.")] = 60.0,
    as_json: JsonOpt = False,
):
    """Read articles, chunk and embed them into the store (unchanged files cost nothing)."""
    from rag.ingest.pipeline import ingest as run
    from rag.text import dictionary

    ws = _workspace()
    with _progress(enabled=not as_json and sys.stderr.isatty()) as progress:
        report = run(ws, paths or [Path("seeds")], prune=prune, lock_timeout=lock_timeout, progress=progress)
    compiled = dictionary.compiled_path(ws.settings.model_cache)
    if compiled is not None and not compiled.exists():  # once, here rather than in the first `rag ask`
        if not as_json:
            typer.echo("preparing the English-German dictionary (once, ~20 s)", err=True)
        dictionary.load(ws.settings.model_cache)
    if as_json:
        _emit_json(report.to_dict())
    else:
        for source, reason in report.skipped:
            typer.echo(f"skipped {source}: {reason}", err=True)
        typer.echo(report.summary())
        for warning in report.warnings:
            typer.echo(f"warning: {warning}", err=True)
        for source, reason in report.failed:
            typer.echo(f"error: {source}: {reason}", err=True)
    if not ws.reader.ready:  # the answer reader's ONNX graph, likewise once; what was stored stays
        if not as_json:
            typer.echo("preparing the answer reader (once, ~10 s)", err=True)
        try:
            ws.reader.prepare()
        except LocalModelError as exc:
            typer.echo(f"warning: {exc}; `rag ask` will try again", err=True)
    if report.failed:
        raise typer.Exit(2)  # everything readable was stored; the failures need the user


class _progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Progress | None = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import Progress

        bar = self.bar = Progress(transient=True, console=None)
        bar.start()
        self.task = bar.add_task("ingest", total=None)

        def update(done: int, total: int, source: str) -> None:
            bar.update(self.task, completed=done, total=total, description=source[-40:] or "done")

        return update

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in English or German.")],
    engine: Annotated[
        str | None, typer.Option(help="openai | local | extractive (default: openai when configured, else extractive).")
    ] = None,
    as_json: JsonOpt = False,
    stream: Annotated[bool, typer.Option(help="Print verified sentences as they are generated.")] = True,
):
    """Answer QUESTION from the stored articles, every sentence cited with a verbatim quote."""
    from rag.models.embeddings import load_early

    load_early()  # the model loads on a thread while the settings and the rest start up
    ws = _workspace(short_lived=True)
    from rag.answer.engines import ask as run
    from rag.answer.engines import parse_engine

    name = parse_engine(engine, ws.settings)
    # every engine may need the reader: the extractive answer, and any engine's refusal or fallback
    ws.reader.on_export = lambda: typer.echo("preparing the answer reader (once, ~10 s)", err=True)
    if name.value == "extractive":
        ws.reader.preload()  # on a thread, while the question is analysed and retrieved (if not yet)
    streamed: list[str] = []
    on_text = None
    if stream and not as_json and sys.stdout.isatty():

        def on_text(piece: str) -> None:
            streamed.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()

    answer = run(ws, question, name, on_text)
    if as_json:
        _emit_json(answer.to_dict())
        return
    if streamed and not answer.fallback_reason:
        sys.stdout.write("\n")
    typer.echo(_render().answer_text(answer, "".join(streamed)))


def _render():
    from rag.answer import render

    return render


@app.command()
def status(as_json: JsonOpt = False):
    """Articles, chunks, embedding model and where the store lives."""
    ws = _workspace()
    cat = ws.catalog
    articles, chunks = cat.counts()
    info = {
        "home": str(ws.home),
        "articles": articles,
        "chunks": chunks,
        "embedding_model": cat.get_meta("embedding_model"),
        "embedding_dim": int(cat.get_meta("embedding_dim") or 0) or None,
        "store": str(ws.home / "chroma"),
        "catalog": str(cat.path),
        "default_engine": ws.settings.default_engine().value,
        "dictionary": str(
            _dictionary_source() or "none: English-German questions match cognates only (apt-get install trans-de-en)"
        ),
    }
    if as_json:
        _emit_json(info)
        return
    for k, v in info.items():
        typer.echo(f"{k:16} {v}")


def _dictionary_source():
    from rag.text.dictionary import source_path

    return source_path()


@app.command()
def sources(as_json: JsonOpt = False):
    """The stored articles: id, title, date, language."""
    ws = _workspace()
    rows = [
        {
            "article_id": a.article_id,
            "source": a.source,
            "title": a.title,
            "outlet": a.outlet,
            "published": a.published,
            "language": a.language,
            "chars": a.chars,
            "chunks": a.n_chunks,
        }
        for a in ws.catalog.articles()
    ]
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        typer.echo("no articles stored; run `rag ingest PATH`")
    for r in rows:
        typer.echo(f"{r['article_id']}  {r['published'] or '----------'}  {r['language']}  {r['source']}  {r['title']}")


@app.command()
def summarize(
    article: Annotated[str | None, typer.Argument(help="Article id, file name, or a unique title fragment.")] = None,
    topic: Annotated[
        str | None, typer.Option(help="Summarise what all articles say on this question or topic.")
    ] = None,
    engine: Annotated[str | None, typer.Option(help="openai | local | extractive (default as for ask).")] = None,
    as_json: JsonOpt = False,
):
    """Cited key points of one ARTICLE, or across articles with --topic."""
    from rag.answer.engines import make_engine, parse_engine
    from rag.digest.summarize import outlets_of, summarize_article, summarize_topic
    from rag.errors import UsageError

    article = article.strip() if article is not None else None
    topic = topic.strip() if topic is not None else None
    if bool(article) == bool(topic):
        raise UsageError('give either an ARTICLE (id, file name or title fragment) or --topic "..."')
    ws = _workspace()
    eng = make_engine(ws, parse_engine(engine, ws.settings))
    result = summarize_article(ws, article, eng) if article else summarize_topic(ws, topic or "", eng)
    if as_json:
        _emit_json(result.to_json())
        return
    if result.fallback_reason:
        typer.echo(f"Note: {result.fallback_reason}; showing verified evidence from the articles instead.\n")
    typer.echo(("Article: " if result.kind == "article" else "Topic: ") + result.subject)
    if result.refused:
        from rag.answer.result import CANNOT_ANSWER

        typer.echo(CANNOT_ANSWER)
        return
    for p in result.points:
        said_by = "" if result.kind == "article" else f"  — {', '.join(outlets_of(p, ws))}"
        typer.echo(f"- {p.text}{said_by}")
    typer.echo("\nSources:")
    seen = set()
    for p in result.points:
        for c in p.citations:
            if c.n not in seen:
                seen.add(c.n)
                typer.echo(f"[{c.n}] {c.source}: “{c.quote}”")


@app.command()
def digest(
    on: Annotated[str | None, typer.Option("--date", help="Articles of this day (YYYY-MM-DD).")] = None,
    since: Annotated[str | None, typer.Option(help="Articles of the last period, e.g. 24h, 3d (default 24h).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="All stored articles.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="md | html | json")] = "md",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")] = None,
    engine: Annotated[str | None, typer.Option(help="openai | local | extractive (default as for ask).")] = None,
    regroup: Annotated[bool, typer.Option(help="Forget earlier digests' stories and group afresh (new ids).")] = False,
):
    """The period's news as stories: headline, cited key points, outlets, disagreements. Stories
    keep their ids across digests; new articles join one or start their own."""
    from rag.answer.engines import make_engine, parse_engine
    from rag.digest import render as render_digest
    from rag.digest.build import make_digest
    from rag.errors import UsageError

    if fmt not in ("md", "html", "json"):
        raise UsageError(f"--format {fmt!r}: choose md, html or json")
    ws = _workspace()
    eng = make_engine(ws, parse_engine(engine, ws.settings))
    result = make_digest(ws, on, since, all_, eng, regroup=regroup)
    if fmt == "json":
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = render_digest.page(result) if fmt == "html" else render_digest.markdown(result)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write the digest ({exc.strerror or exc})") from None
    typer.echo(f"wrote {output} ({len(result.stories)} stories)", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8765,
):
    """HTTP API with models kept loaded: POST /ask, GET /digest, GET /health (JSON)."""
    from rag.serve import serve as run

    ws = _workspace()

    def ready(address) -> None:
        typer.echo(
            f"rag serve: listening on http://{address[0]}:{address[1]} "
            "(POST /ask, GET /digest, GET /health; Ctrl-C stops)",
            err=True,
        )

    try:
        run(ws, host, port, ready)
    except OSError as exc:
        from rag.errors import UsageError

        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port") from None


@app.command()
def chat(
    engine: Annotated[str | None, typer.Option(help="openai | local | extractive (default as for ask).")] = None,
):
    """Ask question after question with models kept loaded. Empty line or /quit ends."""
    from rag.answer.engines import parse_engine
    from rag.service import Service

    ws = _workspace()
    service = Service(ws)
    service.warm_up()
    eng = service.engine(parse_engine(engine, ws.settings))
    interactive = sys.stdin.isatty()
    if interactive:
        typer.echo(f"rag chat ({eng.name.value}); /quit to leave", err=True)
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        question = line.strip()
        if not question or question in ("/quit", "/exit"):
            break
        try:
            answer = eng.ask(question)
            typer.echo(_render().answer_text(answer) + "\n")
        except RagError as exc:  # one bad question does not end the session
            typer.echo(f"error: {_redact(str(exc))}", err=True)


@app.command("eval")
def eval_cmd(
    cases: Annotated[
        list[Path] | None, typer.Option("--cases", help="Case files or folders (default: evals/).")
    ] = None,
    split: Annotated[
        list[str] | None,
        typer.Option("--split", help="Blind-bank split(s): train, dev, test, test2... (folders of evals/splits/)."),
    ] = None,
    engine: Annotated[str | None, typer.Option(help="Engine to evaluate (default as for ask).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the full report as JSON here.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML report here (for CI).")] = None,
    min_pass: Annotated[float, typer.Option(min=0.0, max=1.0, help="Required share of passing cases.")] = 1.0,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask the model again instead of reusing cached replies.")
    ] = False,
):
    """Score answers against the eval cases; exit 1 when fewer than --min-pass of them pass."""
    from rag.answer.engines import parse_engine
    from rag.errors import UsageError
    from rag.evaluation.run import run, table
    from rag.settings import load_settings

    settings = load_settings()
    name = parse_engine(engine, settings)
    paths = list(cases or [])
    splits = Path("evals") / "splits"
    known = sorted(p.name for p in splits.iterdir() if p.is_dir()) if splits.is_dir() else []
    for s in split or []:
        if s not in known:
            choose = ", ".join(known) if known else f"none found in {splits} (run it in the project folder)"
            raise UsageError(f"unknown split {s!r}: choose {choose}")
        paths.append(splits / s)
    with _progress(enabled=sys.stderr.isatty()) as progress:
        report = run(settings, paths or [Path("evals")], name, use_cache=not no_cache, progress=progress)
    typer.echo(table(report, min_pass))
    _write_reports(report, min_pass, json_out, junit)
    if report.pass_rate < min_pass:
        failed = sum(not r.passed for r in report.results)
        typer.echo(
            f"error: {failed} of {len(report.results)} cases failed; pass rate {report.pass_rate:.1%} is "
            f"under --min-pass {min_pass:.0%}",
            err=True,
        )
        raise typer.Exit(1)


def _write_reports(report, min_pass: float, json_out: Path | None, junit: Path | None) -> None:
    from rag.errors import UsageError
    from rag.evaluation.run import junit_xml

    for path, text in (
        (json_out, lambda: json.dumps(report.to_dict(min_pass), ensure_ascii=False, indent=2)),
        (junit, lambda: junit_xml(report)),
    ):
        if path is None:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text() + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot write the report ({exc.strerror or exc})") from None


def _redact(message: str) -> str:
    key = os.environ.get("OPENAI_API_KEY") or os.environ.get("RAG_OPENAI__API_KEY")
    return message.replace(key, "***") if key and len(key) >= 4 else message


def main() -> None:
    try:
        code = app(standalone_mode=False)  # click returns (not raises) typer.Exit codes here
        if isinstance(code, int) and code:
            sys.exit(code)
    except RagError as exc:
        typer.echo(f"error: {_redact(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        # usage errors of click, or of the copy of click that typer vendors (typer._click)
        exit_code, show = getattr(exc, "exit_code", None), getattr(exc, "show", None)
        if isinstance(exit_code, int) and callable(show):
            show()
            sys.exit(exit_code)
        if type(exc).__name__ == "Abort":
            sys.exit(130)
        if os.environ.get("RAG_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {_redact(str(exc))} (set RAG_DEBUG=1 for a traceback)", err=True
        )
        sys.exit(70)
