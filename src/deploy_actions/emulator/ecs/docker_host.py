"""The Docker engine that tasks run on under Docker: whether it answers, the bridge network they share,
a registry login for the emulator's ECR, and the worker threads that run and watch containers."""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from deploy_actions.emulator.ecs.tasks import docker_available, docker_network


class DockerHost:
    def __init__(self, internal_client: Callable[[str], Any]) -> None:
        self._client = internal_client
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ecs-docker")
        self._available: bool | None = None
        self._network: str | None = None
        self._network_known = False
        self._config_dir: str | None = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        if self._available is None:
            self._available = docker_available()
        return self._available

    def network(self) -> str | None:
        with self._lock:
            if not self._network_known:
                self._network, self._network_known = docker_network(), True
            return self._network

    def pull_config(self) -> str | None:
        """A docker config holding the emulator's ECR credentials (as the task execution role pulls), or None."""
        try:
            data = self._client("ecr").get_authorization_token()["authorizationData"][0]
        except Exception:
            return None
        host = str(data.get("proxyEndpoint", "")).split("://", 1)[-1]
        if not host.startswith(("127.", "localhost")):
            return None  # moto's own ECR: no registry behind it
        with self._lock:
            if self._config_dir is None:
                self._config_dir = tempfile.mkdtemp(prefix="emulator-ecs-docker-")
            path = Path(self._config_dir) / "config.json"
            token = base64.b64decode(data["authorizationToken"]).decode()
            path.write_text(json.dumps({"auths": {host: {"auth": base64.b64encode(token.encode()).decode()}}}))
            return self._config_dir

    def submit(self, work: Callable[[], None]) -> None:
        """`docker` commands off the engine's thread (they take seconds)."""
        self._pool.submit(work)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._config_dir is not None:
            shutil.rmtree(self._config_dir, ignore_errors=True)
