"""Container-style hooks (rm old container, pull from a loopback registry, docker run, curl) on the emulator.

Needs a Docker engine: uses the running one, or starts `dockerd` when root may (as in CI), else skips.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.emulator.conftest import Environment, wait_for
from tests.support.revisions import upload_revision, zip_revision

pytestmark = pytest.mark.e2e
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "docker-app"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _docker(host: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "-H", host, *args], capture_output=True, text=True, timeout=timeout,
                          check=False, env={**os.environ, "DOCKER_BUILDKIT": "0"})


@pytest.fixture(scope="module")
def docker_host() -> Iterator[str]:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI")
    default = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if _docker(default, "info", timeout=20).returncode == 0:
        yield default
        return
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        pytest.skip("no Docker engine running, and dockerd cannot be started here")
    root = Path(tempfile.mkdtemp(prefix="emulator-dockerd-"))
    host = f"unix://{root}/docker.sock"
    log = (root / "dockerd.log").open("wb")
    engine = subprocess.Popen(["dockerd", "--iptables=false", "--bridge=none", "-H", host,
                               "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
                               "--pidfile", str(root / "docker.pid")], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while _docker(host, "info", timeout=10).returncode != 0:
            if engine.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"dockerd did not start: {(root / 'dockerd.log').read_text()[-500:]}")
            time.sleep(0.5)
        yield host
    finally:
        engine.terminate()
        try:
            engine.wait(timeout=30)
        except subprocess.TimeoutExpired:
            engine.kill()
            engine.wait(timeout=10)
        # dockerd leaves its network namespace mounted under its exec root
        for mount in reversed(Path("/proc/mounts").read_text().splitlines()):
            point = mount.split()[1]
            if point.startswith(str(root)):
                subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    if shutil.which("docker-registry") is None:
        pytest.skip("no docker-registry (Debian package docker-registry)")
    root = Path(tempfile.mkdtemp(prefix="emulator-registry-"))
    port = _free_port()
    (root / "config.yml").write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n"
                                     f"http:\n  addr: 127.0.0.1:{port}\n")
    server = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/v2/"), timeout=20, interval=0.2)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def image(docker_host: str, registry: str, tmp_path: Path, unique: str) -> Iterator[str]:
    context = tmp_path / "image"
    shutil.copytree(EXAMPLE / "image", context)
    shutil.copy2(shutil.which("busybox") or "/bin/busybox", context / "busybox")
    tag = f"{registry}/app-{unique}:1"
    built = _docker(docker_host, "build", "-t", tag, str(context))
    assert built.returncode == 0, built.stderr
    pushed = _docker(docker_host, "push", tag)
    assert pushed.returncode == 0, pushed.stderr
    _docker(docker_host, "rmi", tag)  # the hooks must pull it from the registry
    yield tag
    containers = _docker(docker_host, "ps", "-aq", "--filter", "name=app-i-").stdout.split()
    if containers:
        _docker(docker_host, "rm", "-f", *containers)
    _docker(docker_host, "rmi", tag)


def test_container_hooks_deploy_through_the_emulator(environment: Any, docker_host: str, image: str,
                                                     tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=2, group={"auto_rollback": []})
    source = tmp_path / "revision"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("image", "README.md"))
    (source / "deployment.env").write_text(f"IMAGE={image}\nDOCKER_HOST={docker_host}\n")
    revision = upload_revision(env.emulator.client("s3"), env["bucket"], zip_revision(source))

    for _ in range(2):  # the second deployment's ApplicationStop removes the first one's container
        info = env.deploy(revision)
        assert info["status"] == "Succeeded", env.failure(info)
    target = env.targets(info["deploymentId"])[0]
    events = {e["lifecycleEventName"]: e.get("diagnostics", {}) for e in target["lifecycleEvents"]}
    assert f"[stdout]app-{target['targetId']}" in events["ApplicationStop"]["logTail"]
    assert image.split(":")[0] in events["BeforeInstall"]["logTail"]
    assert "[stdout]ok" in events["ValidateService"]["logTail"]
    with contextlib.closing(urllib.request.urlopen(env.url("/version"), timeout=2)) as response:
        assert response.read().decode().strip() == "version: 1"
