"""docker, buildah and podman push to the emulator's ECR with the token GetAuthorizationToken issues, as on AWS.

Real clients, a real registry: what DescribeImages answers is what the client reported pushing.
Images are built FROM scratch (no Docker Hub here).
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import host_env, missing, run
from tests.integration.emulator.ecr_registry import need_registry_binary

pytestmark = pytest.mark.e2e
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@pytest.fixture
def ecr(emulator: Any) -> Any:
    need_registry_binary()
    return emulator.client("ecr")


def _login(ecr: Any) -> tuple[str, str, str]:
    """(registry host, user, password) from GetAuthorizationToken, as a pipeline decodes them."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    return str(data["proxyEndpoint"]).split("://", 1)[-1], user, password


def _context(root: Path, marker: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "release.txt").write_text(f"{marker}\n")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY release.txt /release.txt\n")
    return root


def _pushed_digest(output: str) -> str:
    found = DIGEST.findall(output)
    assert found, output
    return found[-1]


@pytest.fixture
def docker(tmp_path: Path) -> dict[str, str]:
    if not shutil.which("docker"):
        missing("docker", "Debian docker.io; .ci/run installs it")
    env = host_env(DOCKER_BUILDKIT="0", DOCKER_CONFIG=str(tmp_path / "docker-config"))
    if run(["docker", "info"], cwd=tmp_path, env=env, timeout=30).code != 0:
        missing("a Docker engine", "start dockerd; .ci/run does")
    return env


def test_docker_login_and_push_with_the_ecr_token(ecr: Any, docker: dict[str, str], tmp_path: Path) -> None:
    name = f"push/docker-{uuid.uuid4().hex[:8]}"
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    host, user, password = _login(ecr)
    assert user == "AWS" and uri == f"{host}/{name}"
    login = run(["docker", "login", "--username", user, "--password", password, host], cwd=tmp_path, env=docker)
    assert login.code == 0, login.output
    image = f"{uri}:v1"
    built = run(["docker", "build", "--tag", image, str(_context(tmp_path / "ctx", uuid.uuid4().hex))],
                cwd=tmp_path, env=docker)
    assert built.code == 0, built.output
    try:
        pushed = run(["docker", "push", image], cwd=tmp_path, env=docker)
        assert pushed.code == 0, pushed.output
        print(f"docker build + push: {built.seconds + pushed.seconds:.1f}s")
        [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
        assert detail["imageDigest"] == _pushed_digest(pushed.output)
        assert detail["imageTags"] == ["v1"]
        assert detail["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
        assert detail["imageSizeInBytes"] > 0

        # A pull with the same login gets that image back; without it the registry asks for one.
        run(["docker", "image", "rm", image], cwd=tmp_path, env=docker)
        pulled = run(["docker", "pull", image], cwd=tmp_path, env=docker)
        assert pulled.code == 0 and detail["imageDigest"] in pulled.output, pulled.output
        run(["docker", "logout", host], cwd=tmp_path, env=docker)
        refused = run(["docker", "push", image], cwd=tmp_path, env=docker)
        assert refused.code != 0 and "no basic auth credentials" in refused.output, refused.output
    finally:
        run(["docker", "image", "rm", image], cwd=tmp_path, env=docker)


def test_a_second_push_of_a_tag_to_an_immutable_repository_fails(
        ecr: Any, docker: dict[str, str], tmp_path: Path) -> None:
    name = f"push/immutable-{uuid.uuid4().hex[:8]}"
    uri = ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")["repository"]["repositoryUri"]
    host, user, password = _login(ecr)
    assert run(["docker", "login", "-u", user, "-p", password, host], cwd=tmp_path, env=docker).code == 0
    image = f"{uri}:release"
    try:
        for attempt, marker in enumerate(("first", "second")):
            built = run(["docker", "build", "--tag", image, str(_context(tmp_path / marker, uuid.uuid4().hex))],
                        cwd=tmp_path, env=docker)
            assert built.code == 0, built.output
            pushed = run(["docker", "push", image], cwd=tmp_path, env=docker)
            if attempt == 0:
                assert pushed.code == 0, pushed.output
                first = _pushed_digest(pushed.output)
        assert pushed.code != 0, pushed.output
        assert "tag invalid" in pushed.output and "cannot be overwritten because the repository is immutable" \
            in pushed.output, pushed.output
        [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
        assert detail["imageDigest"] == first and detail["imageTags"] == ["release"]
    finally:
        run(["docker", "image", "rm", image], cwd=tmp_path, env=docker)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """podman refuses a runroot longer than 50 characters; pytest's tmp_path is longer."""
    path = Path(tempfile.mkdtemp(prefix="ecr-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("tool", ["buildah", "podman"])
def test_buildah_and_podman_push_with_the_ecr_token(ecr: Any, tmp_path: Path, short_dir: Path, tool: str) -> None:
    path = shutil.which(tool)
    if not path:
        missing(tool, f"apt-get install {tool}; .ci/run installs it")
    name = f"push/{tool}-{uuid.uuid4().hex[:8]}"
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    host, user, password = _login(ecr)
    storage = ["--storage-driver", "vfs", "--root", str(tmp_path / "storage"), "--runroot", str(short_dir / "run")]
    env = host_env(REGISTRY_AUTH_FILE=str(tmp_path / "auth.json"))
    login = run([path, *storage, "login", "--tls-verify=false", "-u", user, "-p", password, host],
                cwd=tmp_path, env=env)
    assert login.code == 0, login.output
    image = f"{uri}:v2"
    built = run([path, *storage, "bud" if tool == "buildah" else "build", "--isolation", "chroot", "--tag", image,
                 str(_context(tmp_path / "ctx", uuid.uuid4().hex))], cwd=tmp_path, env=env)
    assert built.code == 0, built.output
    digest_file = tmp_path / "digest"
    pushed = run([path, *storage, "push", "--tls-verify=false", "--digestfile", str(digest_file), image],
                 cwd=tmp_path, env=env)
    assert pushed.code == 0, pushed.output
    print(f"{tool} build + push: {built.seconds + pushed.seconds:.1f}s")
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert detail["imageDigest"] == digest_file.read_text().strip()
    assert detail["imageTags"] == ["v2"]
    assert detail["imageManifestMediaType"] == "application/vnd.oci.image.manifest.v1+json"


def test_a_multi_platform_push_lists_the_index_tagged_and_its_platform_images_untagged(
        ecr: Any, tmp_path: Path) -> None:
    buildah = shutil.which("buildah")
    if not buildah:
        missing("buildah", "apt-get install buildah; .ci/run installs it")
    name = f"push/multi-{uuid.uuid4().hex[:8]}"
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    host, user, password = _login(ecr)
    storage = ["--storage-driver", "vfs", "--root", str(tmp_path / "storage"), "--runroot", str(tmp_path / "run")]
    env = host_env(REGISTRY_AUTH_FILE=str(tmp_path / "auth.json"))
    assert run([buildah, *storage, "login", "--tls-verify=false", "-u", user, "-p", password, host],
               cwd=tmp_path, env=env).code == 0
    local = f"localhost/{name}:multi"
    assert run([buildah, *storage, "manifest", "create", local], cwd=tmp_path, env=env).code == 0
    context = _context(tmp_path / "ctx", uuid.uuid4().hex)
    for arch in ("amd64", "arm64"):
        built = run([buildah, *storage, "bud", "--isolation", "chroot", "--arch", arch, "--manifest", local,
                     str(context)], cwd=tmp_path, env=env)
        assert built.code == 0, built.output
    digest_file = tmp_path / "digest"
    pushed = run([buildah, *storage, "manifest", "push", "--all", "--tls-verify=false", "--digestfile",
                  str(digest_file), local, f"docker://{uri}:multi"], cwd=tmp_path, env=env)
    assert pushed.code == 0, pushed.output
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    [index] = [d for d in details if d.get("imageTags")]
    assert index["imageDigest"] == digest_file.read_text().strip() and index["imageTags"] == ["multi"]
    assert index["imageManifestMediaType"] == "application/vnd.oci.image.index.v1+json"
    platforms = [d for d in details if not d.get("imageTags")]
    assert len(platforms) == 2
    assert {d["imageManifestMediaType"] for d in platforms} == {"application/vnd.oci.image.manifest.v1+json"}
    assert index["imageSizeInBytes"] == max(d["imageSizeInBytes"] for d in platforms)
