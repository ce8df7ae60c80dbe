"""GitHub's ID-token service as a job sees it, for act (which has none of its own): the demo and the tests.

A job granted `id-token: write` gets ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN; the actions
GET the URL with `&audience=sts.amazonaws.com` and the request token as bearer, and exchange the JWT answered for
the role's credentials (AssumeRoleWithWebIdentity at the emulator, which does not check its signature).
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OidcTokens:
    """Answers {"value": <JWT>} to a request carrying the request token; records the audiences asked for.
    `token` is unique to this instance, so a test can look for it where it must not appear."""

    def __init__(self) -> None:
        self.request_token = f"req-{uuid.uuid4().hex}"
        self.token = f"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBpIn0.{uuid.uuid4().hex}"
        self.audiences: list[str] = []
        tokens = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {tokens.request_token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                tokens.audiences.append(self.path.rsplit("audience=", 1)[-1])
                body = json.dumps({"value": tokens.token}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def env(self) -> dict[str, str]:
        """What the runner puts in a job granted id-token: write."""
        port = self.server.server_address[1]
        return {"ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{port}/token?api-version=2.0",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
