"""A real Docker Registry v2 on loopback with ECR's front: its login, its refusals, its records.

Debian's `docker-registry` (distribution 2.8) runs on a free loopback port with its storage in the
emulator's state directory; nothing but the front talks to it. The front is a small HTTP proxy on
another loopback port, the registry address ECR answers (proxyEndpoint, repositoryUri):

- it asks for Basic credentials as ECR does (user `AWS`, a password GetAuthorizationToken issued
  that has not expired);
- it refuses what ECR refuses: a repository that does not exist (NAME_UNKNOWN) and a tag pushed
  again in an immutable repository (TAG_INVALID) — the push itself fails;
- every manifest the registry accepts is recorded (digest, media type, tag, push time), so
  DescribeImages and friends answer what was really pushed.

`DEPLOY_ACTIONS_EMULATOR_REGISTRY` names another binary with the same CLI (upstream distribution's
`registry serve CONFIG`); without one, ECR's image operations answer an error saying what to install.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

REGISTRY_ENV = "DEPLOY_ACTIONS_EMULATOR_REGISTRY"
INSTALL_HINT = ("the emulator's ECR registry needs Debian's docker-registry (apt-get install docker-registry) or "
                f"distribution's `registry` binary on PATH, or {REGISTRY_ENV}=/path/to/it")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}
# The name is greedy: a repository may have a path component called blobs, manifests or tags.
_NAMED = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs|tags)/(?P<rest>[^/]*|uploads/[^/]*)$")
MAX_MANIFEST = 4 * 1024 * 1024  # ECR's limit on a manifest
CHUNK = 64 * 1024


class RegistryUnavailable(RuntimeError):
    pass


class Refusal(Exception):
    """An answer the front gives instead of the registry's: HTTP status, registry error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Front(Protocol):
    """What the front asks of ECR (`service.Ecr`)."""

    def authorized(self, password: str) -> bool: ...

    def check_repository(self, name: str) -> None: ...

    def check_push(self, name: str, reference: str) -> None: ...

    def pushed(self, name: str, reference: str, digest: str, media_type: str, manifest: bytes) -> None: ...

    def deleted(self, name: str, reference: str) -> None: ...

    def tags(self, name: str) -> list[str]: ...


def find_binary() -> str | None:
    configured = os.environ.get(REGISTRY_ENV)
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("docker-registry") or shutil.which("registry") or (
        "/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").is_file() else None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Registry:
    """docker-registry plus its front; started on first use, stopped with the emulator."""

    def __init__(self, state_dir: Path, front: Front) -> None:
        self.root = state_dir / "ecr-registry"
        self._front = front
        self._lock = threading.Lock()
        self._pushing = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._keeper_done = threading.Event()
        self._proxy: ThreadingHTTPServer | None = None
        self._backend_port = 0
        self.address = ""  # 127.0.0.1:<front port> once started
        self._failed: str | None = None
        self.observer: Callable[[str, str, str], None] | None = None  # (method, path, user agent) of each request

    def ensure_started(self) -> str:
        with self._lock:
            if self._failed is not None:
                raise RegistryUnavailable(self._failed)  # once: a start that failed is not retried per call
            if self._proxy is None:
                try:
                    self._start()
                except RegistryUnavailable as error:
                    if find_binary() is not None:
                        self._failed = str(error)
                    raise
            return self.address

    def _start(self) -> None:
        binary = find_binary()
        if binary is None:
            raise RegistryUnavailable(INSTALL_HINT)
        shutil.rmtree(self.root / "data", ignore_errors=True)  # images of an earlier run: its ECR is gone
        self.root.mkdir(parents=True, exist_ok=True)
        self._backend_port = _free_port()
        config = self.root / "config.yml"
        config.write_text(json.dumps({  # YAML is a superset of JSON
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.root / "data")}, "delete": {"enabled": True}},
            "http": {"addr": f"127.0.0.1:{self._backend_port}", "secret": base64.b64encode(os.urandom(24)).decode()},
        }))
        self._process = self._spawn([binary, "serve", str(config)])
        deadline = time.monotonic() + 20
        while not self._backend_ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._stop_process()
                raise RegistryUnavailable(f"{binary} did not start; see {self.root / 'registry.log'}")
            time.sleep(0.05)
        self._proxy = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._proxy.daemon_threads = True
        self.address = f"127.0.0.1:{self._proxy.server_address[1]}"
        threading.Thread(target=self._proxy.serve_forever, kwargs={"poll_interval": 0.05},
                         name="ecr-registry-front", daemon=True).start()

    def _backend_ready(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self._backend_port, timeout=1)
            connection.request("GET", "/v2/")
            ready = connection.getresponse().status == 200
            connection.close()
            return ready
        except OSError:
            return False

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        """Start the registry so that it dies with the emulator, however the emulator ends.

        With util-linux's `setpriv --pdeathsig`, the kernel sends the registry SIGTERM when the thread
        that started it ends; that thread is a keeper living until `close`, so a SIGKILLed emulator
        (a CI job cancelled, a test run killed) takes its registry along. Without setpriv, `close` alone
        stops it.
        """
        setpriv = shutil.which("setpriv")
        if setpriv:
            command = [setpriv, "--pdeathsig", "TERM", *command]
        started: list[subprocess.Popen[bytes] | BaseException] = []
        ready = threading.Event()
        self._keeper_done = threading.Event()

        def keep(done: threading.Event) -> None:
            try:
                with (self.root / "registry.log").open("ab") as log:
                    started.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log))
            except OSError as error:
                started.append(error)
            ready.set()
            done.wait()

        threading.Thread(target=keep, args=(self._keeper_done,), name="ecr-registry-keeper", daemon=True).start()
        ready.wait()
        if isinstance(started[0], BaseException):
            self._keeper_done.set()
            raise RegistryUnavailable(f"{command[-3]} did not start: {started[0]}")
        return started[0]

    def _stop_process(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._keeper_done.set()

    def close(self) -> None:
        with self._lock:
            if self._proxy is not None:
                self._proxy.shutdown()
                self._proxy.server_close()
                self._proxy = None
            self._stop_process()

    # -- the registry's API, for ECR operations (PutImage, BatchDeleteImage) -------------------------

    def backend(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        self.ensure_started()
        connection = http.client.HTTPConnection("127.0.0.1", self._backend_port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    # -- the front -------------------------------------------------------------------------------

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        if self.observer is not None:
            self.observer(request.command, path, request.headers.get("User-Agent", ""))
        try:
            if not self._front.authorized(_password(request.headers.get("Authorization", ""))):
                raise Refusal(401, "UNAUTHORIZED", "Your authorization token has expired. Reauthenticate and try again."
                              if request.headers.get("Authorization") else "Not Authorized")
            named = _NAMED.match(path)
            if named is None and path not in ("/v2/", "/v2"):
                raise Refusal(404, "UNSUPPORTED", "The operation is unsupported.")
            if named is not None:
                name, kind, rest = named.group("name"), named.group("kind"), named.group("rest")
                self._front.check_repository(name)
                if kind == "manifests" and request.command == "PUT":
                    return self._put_manifest(request, name, rest)
                if kind == "tags" and request.command == "GET":  # ECR's tags, not the registry's leftovers
                    return _answer(request, 200, {"name": name, "tags": self._front.tags(name)})
                if kind == "manifests" and request.command in ("GET", "HEAD") and not rest.startswith("sha256:") \
                        and rest not in self._front.tags(name):
                    raise Refusal(404, "MANIFEST_UNKNOWN", f"Requested image not found: {name}:{rest}")
                if kind == "manifests" and request.command == "DELETE":
                    def forget(status: int, _: dict[str, str]) -> None:
                        if status == 202:
                            self._front.deleted(name, rest)

                    self._forward(request, _body(request), before_relay=forget)
                    return None
            self._forward(request, _body(request))
        except Refusal as refusal:
            _refuse(request, refusal)

    def _put_manifest(self, request: BaseHTTPRequestHandler, name: str, reference: str) -> None:
        manifest = b"".join(_body(request) or [])
        if len(manifest) > MAX_MANIFEST:
            raise Refusal(400, "MANIFEST_INVALID", "The manifest is larger than ECR accepts (4 MiB).")

        def record(status: int, headers: dict[str, str]) -> None:
            if status == 201:  # recorded before the client hears of it: its next call finds the image
                self._front.pushed(name, reference, headers.get("docker-content-digest", ""),
                                   request.headers.get("Content-Type", "").split(";")[0].strip(), manifest)

        with self._pushing:  # the tag check and the record as one step: two pushes of a tag, one wins
            self._front.check_push(name, reference)
            self._forward(request, iter([manifest]), length=len(manifest), before_relay=record)

    def _forward(self, request: BaseHTTPRequestHandler, body: Iterator[bytes] | None, length: int | None = None,
                 before_relay: Callable[[int, dict[str, str]], object] | None = None) -> tuple[int, dict[str, str]]:
        upstream = http.client.HTTPConnection("127.0.0.1", self._backend_port, timeout=300)
        headers: dict[str, str] = {}
        for key, value in request.headers.items():  # repeated headers (Accept) joined, as HTTP allows
            if key.lower() not in HOP_BY_HOP and key.lower() not in ("authorization", "content-length"):
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
        chunked = False
        if length is not None:
            headers["Content-Length"] = str(length)
        elif request.headers.get("Content-Length"):
            headers["Content-Length"] = str(request.headers["Content-Length"])
        elif body is not None:
            chunked = True
        try:
            upstream.request(request.command, request.path, body=body, headers=headers, encode_chunked=chunked)
            response = upstream.getresponse()
            answer = {k.lower(): v for k, v in response.getheaders()}
            if before_relay is not None:
                before_relay(response.status, answer)
            request.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    request.send_header(key, value)
            if request.command == "HEAD" or response.status in (204, 304):
                request.send_header("Content-Length", answer.get("content-length", "0"))
                request.end_headers()
                return response.status, answer
            if "content-length" in answer:
                request.send_header("Content-Length", answer["content-length"])
                request.end_headers()
                while chunk := response.read(CHUNK):
                    request.wfile.write(chunk)
            else:
                data = response.read()
                request.send_header("Content-Length", str(len(data)))
                request.end_headers()
                request.wfile.write(data)
            return response.status, answer
        except OSError as error:
            raise Refusal(502, "UNAVAILABLE", f"the emulator's registry did not answer: {error}") from error
        finally:
            upstream.close()


def _password(authorization: str) -> str:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except ValueError:
        return ""
    return password if user == "AWS" else ""


def _body(request: BaseHTTPRequestHandler) -> Iterator[bytes] | None:
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return _chunks(request)
    length = int(request.headers.get("Content-Length") or 0)
    return _fixed(request, length) if length else None


def _fixed(request: BaseHTTPRequestHandler, length: int) -> Iterator[bytes]:
    while length > 0:
        chunk = request.rfile.read(min(CHUNK, length))
        if not chunk:
            return
        length -= len(chunk)
        yield chunk


def _chunks(request: BaseHTTPRequestHandler) -> Iterator[bytes]:
    while True:
        size = int(request.rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while request.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        remaining = size
        while remaining > 0:
            chunk = request.rfile.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
        request.rfile.readline()


def _answer(request: BaseHTTPRequestHandler, status: int, payload: object) -> None:
    _body_drained(request)
    body = json.dumps(payload).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json; charset=utf-8")
    request.send_header("Docker-Distribution-Api-Version", "registry/2.0")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)


def _body_drained(request: BaseHTTPRequestHandler) -> None:
    for _ in _body(request) or []:
        pass


def _refuse(request: BaseHTTPRequestHandler, refusal: Refusal) -> None:
    body = json.dumps({"errors": [{"code": refusal.code, "message": refusal.message}]}).encode()
    request.close_connection = True  # the request's body may be unread
    request.send_response(refusal.status)
    request.send_header("Content-Type", "application/json; charset=utf-8")
    request.send_header("Docker-Distribution-Api-Version", "registry/2.0")
    if refusal.status == 401:
        request.send_header("WWW-Authenticate", f'Basic realm="http://{request.headers.get("Host", "")}/",'
                                                'service="ecr.amazonaws.com"')
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Connection", "close")
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)


def _handler(registry: Registry) -> Any:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            registry.serve(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

    return Handler
