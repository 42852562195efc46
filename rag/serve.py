"""`rag serve`: the same answers over HTTP on 127.0.0.1 with models kept loaded.
POST /ask {"question", "engine"?} -> the `ask --json` object; GET /digest?since=24h|date=|all=1 ->
the `digest --format json` object; GET /health. Errors: {"error": "..."} with a fitting status."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

from rag import errors

_STATUS = [(errors.UsageError, 400), (errors.StoreEmptyError, 409), (errors.StoreMismatchError, 409),
           (errors.ModelAuthError, 502), (errors.ModelRateLimitError, 429), (errors.ModelServiceError, 502),
           (errors.StoreBusyError, 503), (errors.RagError, 500)]


class App:
    """One workspace and its engines, warmed up once and shared by all requests."""

    def __init__(self, ws):
        self.ws = ws
        self.lock = threading.Lock()
        self.engines = {}
        self.started = time.time()

    def warm_up(self, max_sentences: int = 2000) -> None:
        """Load the models and index, and embed the stored sentences as the selector compares them
        (German ones glossed; newest articles first, up to max_sentences) so that answering needs
        only the question's own embedding."""
        from rag.retrieval.bm25 import load_index
        from rag.text.crosslingual import in_english
        from rag.text.sentences import split_sentences

        self.ws.embedder.embed(["warm up"])
        self.ws.store.count()
        load_index(self.ws.catalog, self.ws.home / "cache")
        sentences: list[str] = []
        for row in sorted(self.ws.catalog.articles(), key=lambda r: -r.ingested_at):
            for chunk in self.ws.catalog.chunks(row.article_id):
                spans = split_sentences(row.text, chunk.start, chunk.end)
                sentences += [in_english(x.text, row.language) for x in spans]
            if len(sentences) >= max_sentences:
                break
        if sentences:
            self.ws.embedder.embed(list(dict.fromkeys(sentences))[:max_sentences])

    def engine(self, name):
        from rag.answer.engines import make_engine

        if name not in self.engines:
            self.engines[name] = make_engine(self.ws, name)
        return self.engines[name]

    def ask(self, body: dict) -> dict:
        from rag.answer.engines import parse_engine
        from rag.retrieval.search import retrieve

        question = body.get("question")
        if not isinstance(question, str) or not question.strip():
            raise errors.UsageError('send {"question": "..."}')
        t = time.perf_counter()
        eng = self.engine(parse_engine(body.get("engine"), self.ws.settings))
        passages = retrieve(self.ws, question)
        t_retrieve = time.perf_counter() - t
        answer = eng.answer(question, passages)
        answer.timings = {"retrieve": t_retrieve, **answer.timings, "total": time.perf_counter() - t}
        return answer.to_dict()

    def digest(self, query: dict) -> dict:
        from rag.answer.engines import parse_engine
        from rag.digest.build import make_digest

        def one(k):
            return (query.get(k) or [None])[0]

        eng = self.engine(parse_engine(one("engine"), self.ws.settings))
        return make_digest(self.ws, one("date"), one("since"), one("all") in ("1", "true", "yes"), eng).to_json()

    def health(self) -> dict:
        articles, chunks = self.ws.catalog.counts()
        return {"status": "ok", "articles": articles, "chunks": chunks,
                "embedding_model": self.ws.catalog.get_meta("embedding_model"),
                "default_engine": self.ws.settings.default_engine().value,
                "uptime_s": round(time.time() - self.started, 1)}


def make_handler(app: App):
    class Handler(BaseHTTPRequestHandler):
        server_version = "rag"

        def log_message(self, fmt, *args):  # one short line per request on stderr
            import sys

            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

        def _send(self, status: int, obj: dict) -> None:
            data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _run(self, fn, *args) -> None:
            try:
                with app.lock:
                    result = fn(*args)
                self._send(200, result)
            except errors.RagError as exc:
                status = next(code for cls, code in _STATUS if isinstance(exc, cls))
                self._send(status, {"error": str(exc)})
            except Exception as exc:  # never a traceback to the client
                self._send(500, {"error": f"internal error: {type(exc).__name__}"})

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/health":
                self._run(app.health)
            elif url.path == "/digest":
                self._run(app.digest, parse_qs(url.query))
            else:
                self._send(404, {"error": f"no such endpoint {url.path}; use POST /ask, GET /digest, GET /health"})

        def do_POST(self):
            if urlparse(self.path).path != "/ask":
                self._send(404, {"error": "use POST /ask"})
                return
            try:
                length = int(self.headers.get("content-length") or 0)
                if length > 1_000_000:
                    raise ValueError("body over 1 MB")
                body = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
            except (ValueError, UnicodeDecodeError) as exc:
                self._send(400, {"error": f"bad request body: {exc}"})
                return
            self._run(app.ask, body)

    return Handler


def serve(ws, host: str, port: int, ready=None) -> None:
    app = App(ws)
    app.warm_up()
    httpd = HTTPServer((host, port), make_handler(app))
    if ready:
        ready(httpd.server_address)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
