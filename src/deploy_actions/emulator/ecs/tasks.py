"""Tasks: what a task definition's essential container does, as a stand-in or under Docker.

Every task gets its own loopback address (its "ENI"), 127.<n>.x.y, and listens on its container
port there, so an IP target group reaches it at `<address>:<containerPort>` as on AWS.

A stand-in task (the default) is a small HTTP server that answers every path with 200 and the body
`<family>:<revision>`. Docker labels on the essential container set its fate (docs/emulator.md):

    deploy-actions.emulator.start-seconds   emulated seconds from PROVISIONING to RUNNING (15)
    deploy-actions.emulator.fail-to-start   the task stops before RUNNING with this stoppedReason
                                            (e.g. "CannotPullContainerError: ...")
    deploy-actions.emulator.exit-code       the container exits with this code ...
    deploy-actions.emulator.exit-after      ... this many emulated seconds after RUNNING (0)
    deploy-actions.emulator.stopped-reason  the task's stoppedReason when it exits
    deploy-actions.emulator.health          "unhealthy": answers 500 and fails its container health check
                                            (under Docker, the container's healthCheck runs for real)
    deploy-actions.emulator.body            the body it answers with
    deploy-actions.emulator.logs            lines it prints when it starts (to its awslogs group)
    deploy-actions.emulator.runtime         "docker" or "stand-in" (default: docker for an image in a
                                            loopback registry when a Docker engine answers)

Under Docker the task runs the real image: `docker run` on a user-defined bridge network, its
container port published on the task's address, with the container definition's environment,
command and entryPoint (with the overrides of RunTask). Where no bridge network can be made, the
task shares the host's network and its address is 127.0.0.1 (one task per port at a time).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LABEL = "deploy-actions.emulator."
DEFAULT_START_SECONDS = 15.0
LOOPBACK_REGISTRIES = ("127.", "localhost:", "localhost/")


@dataclass
class Fate:
    start_seconds: float = DEFAULT_START_SECONDS
    fail_to_start: str | None = None
    exit_code: int | None = None
    exit_after: float = 0.0
    stopped_reason: str | None = None
    unhealthy: bool = False
    body: str | None = None
    runtime: str | None = None
    logs: str | None = None

    @classmethod
    def of(cls, labels: dict[str, str]) -> Fate:
        def get(key: str) -> str | None:
            value = labels.get(LABEL + key)
            return None if value is None else str(value)

        exit_code = get("exit-code")
        return cls(start_seconds=float(get("start-seconds") or DEFAULT_START_SECONDS),
                   fail_to_start=get("fail-to-start") or None,
                   exit_code=int(exit_code) if exit_code not in (None, "") else None,
                   exit_after=float(get("exit-after") or 0),
                   stopped_reason=get("stopped-reason") or None,
                   unhealthy=(get("health") or "").lower() == "unhealthy",
                   body=get("body"), runtime=get("runtime"), logs=get("logs"))


def essential_container(definitions: list[dict[str, Any]]) -> dict[str, Any]:
    for container in definitions:
        if container.get("essential", True):
            return container
    return definitions[0]


def container_port(container: dict[str, Any]) -> int | None:
    for mapping in container.get("portMappings") or []:
        if mapping.get("containerPort"):
            return int(mapping["containerPort"])
    return None


class AddressPool:
    """Loopback addresses for tasks, apart from the EC2 sandboxes' (127.64-127.x.y): random, never
    reused in this process, so emulators in other processes on the machine rarely pick the same."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def allocate(self) -> str:
        with self._lock:
            while True:
                address = f"127.{128 + secrets.randbelow(64)}.{secrets.randbelow(256)}.{2 + secrets.randbelow(252)}"
                if address not in self._used:
                    self._used.add(address)
                    return address


class StandIn:
    """The stand-in container: an HTTP server on the task's address and port (none without a port)."""

    def __init__(self, ip: str, port: int | None, body: str, unhealthy: bool) -> None:
        self._server: ThreadingHTTPServer | None = None
        if port is None:
            return
        payload = (body + "\n").encode()
        status = 500 if unhealthy else 200

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

        self._server = ThreadingHTTPServer((ip, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.5},
                         name=f"ecs-task-{ip}", daemon=True).start()

    def close(self) -> None:
        """Stop serving; returns at once (the server's thread notices within its poll interval)."""
        if self._server is not None:
            server, self._server = self._server, None

            def shut() -> None:
                server.shutdown()
                server.server_close()
            threading.Thread(target=shut, name="ecs-task-close", daemon=True).start()


NETWORK = "deploy-actions-emulator-ecs"


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def docker_network() -> str | None:
    """A user-defined bridge network for tasks (their ports published on their own loopback address);
    None when the engine cannot make one (tasks then share the host's network)."""
    try:
        found = subprocess.run(["docker", "network", "inspect", NETWORK], capture_output=True, timeout=20, check=False)
        if found.returncode == 0:
            return NETWORK
        made = subprocess.run(["docker", "network", "create", "--label", f"{LABEL}network=1", NETWORK],
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return NETWORK if made.returncode == 0 else None


def wants_docker(image: str, fate: Fate, docker: Callable[[], bool]) -> bool:
    if fate.runtime == "stand-in":
        return False
    if fate.runtime == "docker":
        return True
    return image.startswith(LOOPBACK_REGISTRIES) and docker()


class DockerContainer:
    """A task's essential container under Docker; `status()` says what it does now."""

    def __init__(self, name: str, image: str, ip: str, port: int | None, container: dict[str, Any],
                 overrides: dict[str, Any], network: str | None, config: str | None = None,
                 real: Callable[[float], float] = lambda seconds: seconds) -> None:
        self.name = name
        environment = {e["name"]: e["value"] for e in container.get("environment") or []}
        environment.update({e["name"]: e["value"] for e in overrides.get("environment") or []})
        command = overrides.get("command") or container.get("command") or []
        # --config: the credentials ECS's execution role would pull with (the emulator's ECR)
        self.args = ["docker", *(["--config", config] if config else []), "run", "-d", "--name", name,
                     "--label", f"{LABEL}task={name}"]
        if network is None:
            self.args += ["--network", "host"]
        else:
            self.args += ["--network", network]
            if port is not None:
                self.args += ["-p", f"{ip}:{port}:{port}"]
        for key, value in environment.items():
            self.args += ["-e", f"{key}={value}"]
        check = container.get("healthCheck") or {}
        command_check = list(check.get("command") or [])
        if command_check:
            # ECS's container health check as Docker's, its intervals on the emulator's clock (at least 1 s)
            kind, rest = command_check[0], command_check[1:]
            test = " ".join(rest) if kind == "CMD-SHELL" else " ".join(shlex.quote(part) for part in rest)
            self.args += ["--health-cmd", test]
            for flag, key, default in (("--health-interval", "interval", 30), ("--health-timeout", "timeout", 5),
                                       ("--health-start-period", "startPeriod", 0)):
                self.args += [flag, f"{max(1.0, real(float(check.get(key, default)))):g}s"]
            self.args += ["--health-retries", str(int(check.get("retries", 3)))]
        entry_point = container.get("entryPoint") or []
        if entry_point:
            self.args += ["--entrypoint", entry_point[0]]
        self.args += [image, *entry_point[1:], *command]
        self.error: str | None = None

    def start(self) -> None:
        """Pull and start (slow: call it off the engine's thread); `error` says why it did not."""
        try:
            done = subprocess.run(self.args, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            self.error = f"CannotStartContainerError: {error}"
            return
        if done.returncode != 0:
            # docker's last line is its usage hint ("Run 'docker run --help' for more information"): the
            # cause is the "docker: Error response from daemon: …" line before it
            message = [line.strip() for line in (done.stderr or done.stdout).strip().splitlines()
                       if line.strip() and not line.startswith("Run 'docker")]
            errors = [line.removeprefix("docker: ") for line in message if line.startswith("docker: ")]
            text = (errors or message or [f"docker run exited {done.returncode}"])[-1]
            output = done.stderr or done.stdout
            # an image not found locally whose download never finished failed to pull, whatever the wording
            pulling = "Unable to find image" in output and "Downloaded newer image" not in output
            kind = "CannotPullContainerError" if pulling or "pull" in text.lower() or "manifest" in text.lower() \
                else "CannotStartContainerError"
            self.error = f"{kind}: {text}"

    def status(self) -> tuple[str, int | None, str | None]:
        """('running' | 'exited' | 'missing' | ..., exit code when exited, Docker's health: healthy,
        unhealthy, starting, or None without a health check)."""
        template = "{{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}"
        try:
            done = subprocess.run(["docker", "inspect", "-f", template, self.name],
                                  capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return "unknown", None, None
        if done.returncode != 0:
            return "missing", None, None
        state, code, health = ([*done.stdout.split(), "", ""])[:3]
        exit_code = int(code) if state in ("exited", "dead") and code.lstrip("-").isdigit() else None
        return state, exit_code, health or None

    def stop(self, grace: int = 10) -> int | None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(["docker", "stop", "-t", str(grace), self.name], capture_output=True, timeout=grace + 30,
                           check=False)
        _, code, _ = self.status()
        return code

    def logs(self) -> list[tuple[int, str]]:
        """What the container printed (stdout and stderr), as (ms since the epoch, line)."""
        try:
            done = subprocess.run(["docker", "logs", "--timestamps", self.name], capture_output=True, text=True,
                                  timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return []
        events = []
        for line in (done.stdout + done.stderr).splitlines():
            stamp, _, message = line.partition(" ")
            try:
                when = datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00" if "." in stamp else stamp)
                events.append((int(when.timestamp() * 1000), message))
            except ValueError:
                events.append((int(time.time() * 1000), line))
        return events

    def remove(self) -> None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(["docker", "rm", "-f", self.name], capture_output=True, timeout=60, check=False,
                           env={**os.environ})
