"""Shared pieces of the benchmarks: a moto S3 server that logs request times, timing, machine facts."""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import shlex
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

APPSPEC = """version: 0.0
os: linux
files:
  - source: /
    destination: /opt/app
hooks:
  BeforeInstall:
    - location: scripts/before_install.sh
      timeout: 60
  ApplicationStart:
    - location: scripts/application_start.sh
      timeout: 120
      runas: root
  ValidateService:
    - location: scripts/validate_service.sh
      timeout: 60
"""
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # benchmarks share the tests' helpers (tests.support)
    sys.path.insert(0, str(REPO))
CLI = REPO / ".venv" / "bin" / "deploy-actions"


class Request(NamedTuple):
    at: float  # time.perf_counter() in this process, comparable with Run.start
    method: str
    path: str
    body_bytes: int


class Run(NamedTuple):
    start: float
    end: float
    stdout: str
    stderr: str

    @property
    def seconds(self) -> float:
        return self.end - self.start


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class S3Server:
    """moto's server on 127.0.0.1 in a thread of this process, logging every request as it arrives."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        app = DomainDispatcherApplication(create_backend_app)

        def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            self.requests.append(Request(time.perf_counter(), environ["REQUEST_METHOD"], environ["PATH_INFO"], size))
            return app(environ, start_response)

        self._server = make_server("127.0.0.1", 0, logged, threaded=True, request_handler=_QuietHandler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, scratch: Path) -> dict[str, str]:
        """The environment for clients of this server, isolated from the host's AWS config and CI variables.

        Bytecode goes to ``scratch/pycache`` for every Python program alike (this machine sets
        PYTHONDONTWRITEBYTECODE and the project venv holds no .pyc, while the aws CLI's install does).
        """
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "GITHUB_", "GITLAB_", "CI", "PYTHONDONTWRITEBYTECODE"))}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",  # noqa: S106
                   AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=self.url,
                   AWS_CONFIG_FILE=str(scratch / "aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(scratch / "aws-creds"),
                   PYTHONPYCACHEPREFIX=str(scratch / "pycache"), SOURCE_DATE_EPOCH="1700000000")
        return env

    def create_bucket(self, name: str) -> None:
        import boto3

        boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=name)  # noqa: S106

    def during(self, run: Run) -> list[Request]:
        return [r for r in list(self.requests) if run.start <= r.at <= run.end]

    def __enter__(self) -> S3Server:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def timed(cmd: list[str], env: Mapping[str, str], cwd: Path | None = None) -> Run:
    """Run ``cmd`` to completion; fail loudly on a non-zero exit."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=dict(env), cwd=cwd, capture_output=True, text=True, check=False)
    end = time.perf_counter()
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return Run(start, end, done.stdout, done.stderr)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    return (f"{datetime.date.today().isoformat()} · nproc {os.cpu_count()} ({cpu}) · "
            f"Python {platform.python_version()} · {platform.system()} {platform.release()} · {load()} at start")


def load() -> str:
    """Other work shares this machine; its load average goes next to the numbers."""
    return "load average " + " / ".join(f"{v:.2f}" for v in os.getloadavg())


def command_line(argv: list[str]) -> str:
    return shlex.join([".venv/bin/python", *(os.path.relpath(a, REPO) if i == 0 else a for i, a in enumerate(argv))])


def write_appspec_and_hooks(root: Path) -> None:
    """A valid appspec.yml and its three executable hook scripts."""
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    (root / "appspec.yml").write_text(APPSPEC)
    for hook in ("before_install", "application_start", "validate_service"):
        script = root / "scripts" / f"{hook}.sh"
        script.write_text(f"#!/bin/sh\nset -eu\necho {hook}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def aws_cli() -> list[str]:
    """The real aws v1 executable (not the pyenv shim, whose bash wrapper would only add time to theirs)."""
    if shutil.which("pyenv"):
        found = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True, check=False).stdout.strip()
        if found:
            return [found]
    return [shutil.which("aws") or sys.exit("aws CLI v1 not found")]


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the servers and temporary trees are removed on the way out."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
