"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol, for tests.

It answers ``POST /v1/chat/completions`` from a scripted queue of :class:`Reply` objects (normal
content with usage, error statuses with ``Retry-After``, slow replies, malformed JSON) and
``GET /v1/models`` with one model. When the queue is empty, an optional ``responder`` function
answers from the request body (say, depending on the prompt). Every request it receives is recorded (path, headers, JSON
body), and it counts how many chat requests are being served at the same time.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Reply:
    """One scripted answer: HTTP status, JSON body (or raw bytes), extra headers, delay."""

    status: int = 200
    body: dict[str, Any] | None = None
    raw: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0


def ok(content: str, *, finish_reason: str = "stop", prompt_tokens: int | None = 10,
       completion_tokens: int | None = 20, delay_s: float = 0.0) -> Reply:
    """A normal completion; ``prompt_tokens=None`` leaves ``usage`` out of the body."""
    body: dict[str, Any] = {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": content}}],
    }
    if prompt_tokens is not None and completion_tokens is not None:
        body["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens}
    return Reply(body=body, delay_s=delay_s)


def error(status: int, message: str = "scripted error", *, retry_after: str | None = None,
          delay_s: float = 0.0) -> Reply:
    """An error status with an OpenAI-style error body and an optional ``Retry-After`` header."""
    headers = (("Retry-After", retry_after),) if retry_after is not None else ()
    return Reply(status=status, body={"error": {"message": message, "type": "fake_error"}},
                 headers=headers, delay_s=delay_s)


def malformed() -> Reply:
    """A 200 whose body claims to be JSON but is not."""
    return Reply(raw=b'{"id": "chatcmpl-broken", "choices": [', delay_s=0.0)


@dataclass
class Received:
    """A request the server saw."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeLLMServer:
    """The scripted server; :meth:`start` binds a random loopback port."""

    default: Reply | None = None
    responder: Callable[[dict[str, Any]], Reply] | None = None
    requests: list[Received] = field(default_factory=list)
    max_active: int = 0
    _queue: deque[Reply] = field(default_factory=deque)
    _active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1`` while running."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def push(self, *replies: Reply) -> None:
        """Append scripted replies, answered in order."""
        with self._lock:
            self._queue.extend(replies)

    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._queue)

    def chat_requests(self) -> list[Received]:
        """The chat-completions requests received, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return self.default or error(500, "fake server: script exhausted")

    def _enter(self) -> None:
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1

    def start(self) -> FakeLLMServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                return

            def _record(self, body: dict[str, Any] | None) -> None:
                with server._lock:
                    server.requests.append(Received(self.command, self.path,
                                                    {k.lower(): v for k, v in self.headers.items()},
                                                    body))

            def _send(self, reply: Reply) -> None:
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers:
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) before the reply

            def do_GET(self) -> None:
                self._record(None)
                if self.path.rstrip("/").endswith("/models"):
                    self._send(Reply(body={"object": "list", "data": [
                        {"id": "fake-model", "object": "model", "created": 0, "owned_by": "test"}]}))
                else:
                    self._send(error(404, f"no route {self.path}"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"_unparsed": raw.decode(errors="replace")}
                self._record(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(error(404, f"no route {self.path}"))
                    return
                server._enter()
                try:
                    reply = server._next(body)
                    if reply.delay_s > 0:
                        server._stopping.wait(reply.delay_s)
                    self._send(reply)
                finally:
                    server._leave()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed replies and close the socket."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


@pytest.fixture(name="fake_llm")
def fake_llm_fixture() -> Iterator[FakeLLMServer]:
    """A started :class:`FakeLLMServer`, stopped after the test (import it to use ``fake_llm``)."""
    server = FakeLLMServer().start()
    try:
        yield server
    finally:
        server.stop()
