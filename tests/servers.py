"""Servers the tests start on 127.0.0.1: llama.cpp's OpenAI-compatible server and a scripted fake.
Both stop by themselves (fixture teardown; the fake also has a request budget)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc=None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class _ServerProcess:
    """A server started as a child process on a free loopback port; stop() always ends it."""

    def _start(self, cmd: list[str], ready_path: str, timeout: float, env=None) -> None:
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_http(f"http://127.0.0.1:{self.port}{ready_path}", timeout, self.proc)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class LlamaServer(_ServerProcess):
    def __init__(self, gguf: str, alias: str = "gemma-local"):
        self.port = free_port()
        self.alias = alias
        self._start(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                gguf,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                "4096",
                "--model_alias",
                alias,
            ],
            "/v1/models",
            90,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def _vector(text: str, dim: int = 16) -> list[float]:
    import hashlib
    import math

    v = [0.0] * dim
    for w in text.lower().split():
        v[int(hashlib.md5(w.encode()).hexdigest(), 16) % dim] += 1.0
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / n for x in v]


class FakeOpenAI:
    """Answers /v1/chat/completions with scripted replies: ("stream", text) or (status, body);
    /v1/embeddings with deterministic 16-d bag-of-words vectors."""

    def __init__(self, replies: list, max_requests: int = 20):
        self.replies = list(replies)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                if self.path.endswith("/embeddings"):
                    self._send(
                        200,
                        {
                            "object": "list",
                            "model": body.get("model"),
                            "data": [
                                {"object": "embedding", "index": i, "embedding": _vector(text)}
                                for i, text in enumerate(body["input"])
                            ],
                        },
                    )
                    return
                if len(fake.requests) > max_requests or not fake.replies:
                    self._send(500, {"error": {"message": "no more scripted replies"}})
                    return
                kind, payload = fake.replies.pop(0) if len(fake.replies) > 1 else fake.replies[0]
                if kind == "stall":  # hold the request without answering (bounded, so it ends by itself)
                    time.sleep(payload)
                    self._send(500, {"error": {"message": "stalled"}})
                    return
                if isinstance(kind, int) and isinstance(payload, tuple):  # (status, (body, headers))
                    body, headers = payload
                    data = json.dumps(body).encode()
                    self.send_response(kind)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if kind == "garbage":
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(payload.encode())
                    return
                if kind == "stream":
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for i in range(0, len(payload), 8):
                        delta = {
                            "choices": [{"index": 0, "delta": {"content": payload[i : i + 8]}}],
                            "id": "x",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": "fake",
                        }
                        self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                else:
                    self._send(kind, payload)

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("x-request-id", "req_test123")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ChromaServer(_ServerProcess):
    """chromadb's own `chroma run`, on 127.0.0.1, with its data in a temporary folder."""

    def __init__(self, path):
        import os
        import shutil

        self.port = free_port()
        exe = shutil.which("chroma", path=os.path.dirname(sys.executable)) or "chroma"
        self._start(
            [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
            "/api/v2/heartbeat",
            60,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
