"""A webhook receiver on loopback: records every payload posted to it and answers as a test tells it to
(429 with Retry-After, 500, 400), the way Slack, Discord and Teams answer when they are busy or refuse.
The demo shows what it received as the Slack message."""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class WebhookReceiver:
    """`url(name)` is a fresh secret-looking webhook URL; replies queued with `then` are used first (in order, for
    any URL or for one URL's posts only) before 200 ok."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: dict[str | None, deque[Reply]] = {None: deque()}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                    queue = receiver.replies.get(self.path) or receiver.replies[None]
                    reply = queue.popleft() if queue else Reply()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        """A webhook URL whose path holds a token, like the platforms' (…/services/T/B/token, …/webhooks/id/token)."""
        return f"http://127.0.0.1:{self.port}/hooks/{name}/{secrets.token_hex(16)}"

    def then(self, *replies: Reply, to: str | None = None) -> WebhookReceiver:
        """Answer the next posts (to `to` only, when given) with `replies`."""
        with self._lock:
            self.replies.setdefault(self._path(to) if to else None, deque()).extend(replies)
        return self

    def _path(self, url: str) -> str:
        return url.split(f":{self.port}", 1)[1]

    def to(self, url: str) -> list[Received]:
        """What was posted to `url` (its path)."""
        return [r for r in self.received if r.path == self._path(url)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
