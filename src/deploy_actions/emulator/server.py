"""`Emulator`: moto's server on loopback with the emulator's operations and lifecycle engine.

Use it as a context manager from tests and scripts::

    with Emulator(clock_factor=60) as emulator:
        codedeploy = boto3.client("codedeploy", endpoint_url=emulator.endpoint_url, ...)
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from deploy_actions.emulator import extensions

DEFAULT_ACCOUNT = "123456789012"  # moto's default account
LOOPBACK = "127.0.0.1"


class _QuietHandler(MotoRequestHandler):
    """moto's handler without one access-log line per request on stderr (tests, demo output)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Emulator:
    """Local AWS on loopback. One process may hold several; moto's state is shared between them."""

    def __init__(self, *, region: str = "us-east-1", host: str = LOOPBACK, port: int = 0,
                 state_dir: str | os.PathLike[str] | None = None, clock_factor: float = 1.0) -> None:
        if not host.startswith("127."):
            raise ValueError(f"the emulator listens on loopback only, not {host}")
        if clock_factor <= 0:
            raise ValueError("clock_factor must be positive")
        self.region = region
        self.account = DEFAULT_ACCOUNT
        self.clock_factor = clock_factor
        self._host, self._port = host, port
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="deploy-actions-emulator-"))
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        extensions.install()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._server = make_server(self._host, self._port, self._wsgi, threaded=True,
                                   request_handler=_QuietHandler)
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return f"http://{self._host}:{self._server.server_port}"

    def env(self) -> dict[str, str]:
        """The environment a process needs to talk to this emulator with any AWS SDK or CLI."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }

    def client(self, service: str) -> Any:
        """A boto3 client pointed at this emulator (for tests and the demo)."""
        import boto3

        # moto accepts any credentials; these dummies keep a developer's real ones out of the picture
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106

    # -- HTTP ----------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        extensions.set_current(self)
        try:
            return self._moto(environ, start_response)
        finally:
            extensions.set_current(None)

    # -- engine callbacks (extensions.Runtime) -------------------------------------------------

    def on_deployment_created(self, deployment_id: str, account: str, region: str) -> None:
        """Replaced by the lifecycle engine; until then deployments stay `Created` as in moto."""
