"""The image side of the CI machine: a Docker engine and buildah build and push to a registry on loopback.

build-push-ecr's end-to-end tests stand on these facts (no Docker Hub, no buildx in bookworm): the
legacy builder builds `FROM scratch`, buildah builds with vfs storage and chroot isolation, and both
push over plain HTTP to 127.0.0.1. `.ci/run` sets them up; these tests prove it did.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import host_env, missing, run

pytestmark = pytest.mark.e2e

REGISTRY = os.environ.get("DEPLOY_ACTIONS_E2E_REGISTRY", "127.0.0.1:5000")
MANIFESTS = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])


@pytest.fixture(scope="session")
def registry() -> str:
    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=5):
            return REGISTRY
    except OSError as exc:
        missing(f"a registry on {REGISTRY}", f"Debian docker-registry, see .ci/run: {exc}")


@pytest.fixture(scope="session")
def buildah() -> str:
    path = shutil.which("buildah")
    if not path:
        missing("buildah", "apt-get install buildah")
    return path


def registry_get(path: str, accept: str = "application/json") -> tuple[dict[str, object], dict[str, str]]:
    request = urllib.request.Request(f"http://{REGISTRY}{path}", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read()), dict(answer.headers)


def image_context(root: Path, marker: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "release.txt").write_text(f"{marker}\n")
    (root / "Dockerfile").write_text(f"FROM scratch\nCOPY release.txt /release.txt\nLABEL e2e.marker={marker}\n")
    return root


def assert_in_registry(repository: str, tag: str, marker: str) -> None:
    tags, _ = registry_get(f"/v2/{repository}/tags/list")
    assert tag in tags["tags"]  # type: ignore[operator]
    manifest, headers = registry_get(f"/v2/{repository}/manifests/{tag}", MANIFESTS)
    assert headers.get("Docker-Content-Digest", "").startswith("sha256:")
    config_digest = manifest["config"]["digest"]  # type: ignore[index]
    config, _ = registry_get(f"/v2/{repository}/blobs/{config_digest}")
    assert config["config"]["Labels"]["e2e.marker"] == marker  # type: ignore[index]


def test_docker_legacy_builder_builds_from_scratch_and_pushes(
        docker: str, registry: str, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    image = f"{registry}/e2e/docker-probe:{marker[:12]}"
    context = image_context(tmp_path / "context", marker)
    env = host_env(DOCKER_BUILDKIT="0")
    built = run([docker, "build", "--tag", image, str(context)], cwd=tmp_path, env=env)
    assert built.code == 0, built.output
    pushed = run([docker, "push", image], cwd=tmp_path, env=env)
    assert pushed.code == 0, pushed.output
    print(f"docker build + push: {built.seconds + pushed.seconds:.1f}s")
    assert_in_registry("e2e/docker-probe", marker[:12], marker)
    run([docker, "image", "rm", image], cwd=tmp_path, env=env)


def test_buildah_builds_with_vfs_and_pushes(
        buildah: str, registry: str, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    image = f"{registry}/e2e/buildah-probe:{marker[:12]}"
    context = image_context(tmp_path / "context", marker)
    storage = ["--storage-driver", "vfs", "--root", str(tmp_path / "storage"), "--runroot", str(tmp_path / "run")]
    built = run([buildah, *storage, "bud", "--isolation", "chroot", "--tag", image, str(context)],
                cwd=tmp_path, env=host_env())
    assert built.code == 0, built.output
    pushed = run([buildah, *storage, "push", "--tls-verify=false", image], cwd=tmp_path, env=host_env())
    assert pushed.code == 0, pushed.output
    print(f"buildah bud + push: {built.seconds + pushed.seconds:.1f}s")
    assert_in_registry("e2e/buildah-probe", marker[:12], marker)
