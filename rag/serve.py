"""`rag serve`: the same answers over HTTP on 127.0.0.1 with models kept loaded.
POST /ask {"question", "engine"?} -> the `ask --json` object; GET /digest?since=24h|date=|all=1 ->
the `digest --format json` object; GET /health. Errors: {"error": "..."} with a fitting status."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

from rag import errors
from rag.service import Service

_STATUS = [
    (errors.UsageError, 400),
    (errors.StoreEmptyError, 409),
    (errors.StoreMismatchError, 409),
    (errors.ModelAuthError, 502),
    (errors.ModelRateLimitError, 429),
    (errors.ModelServiceError, 502),
    (errors.StoreBusyError, 503),
    (errors.RagError, 500),
]


def _ask(app: Service, body: dict) -> dict:
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise errors.UsageError('send {"question": "..."}')
    return app.ask(question, body.get("engine")).to_dict()


def _digest(app: Service, query: dict) -> dict:
    def one(k):
        return (query.get(k) or [None])[0]

    return app.digest(one("date"), one("since"), one("all") in ("1", "true", "yes"), one("engine")).to_json()


def make_handler(app: Service):
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
                self._run(_digest, app, parse_qs(url.query))
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
            self._run(_ask, app, body)

    return Handler


def serve(ws, host: str, port: int, ready=None) -> None:
    app = Service(ws)
    app.warm_up()
    httpd = HTTPServer((host, port), make_handler(app))
    if ready:
        ready(httpd.server_address)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
