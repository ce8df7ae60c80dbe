"""build-push-ecr with buildx, where a buildx plugin exists. Debian bookworm ships none, so CI checks buildx's
exact argv (tests/unit/image/test_builders.py) and leaves this module out (marker `buildx`, deselected in
pyproject's addopts); run it where the plugin is: `pytest -m buildx`. Selected without the plugin, it fails."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AwsEndpoint
from tests.integration.emulator.ecr_registry import need_registry_binary
from tests.integration.test_build_push_ecr import SHA, app

pytestmark = pytest.mark.buildx


@pytest.fixture
def buildx() -> str:
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "buildx", "version"], capture_output=True, timeout=30).returncode:
        pytest.fail("no docker buildx plugin on this machine: run -m buildx only where `docker buildx version` works")
    return docker


def test_buildx_builds_and_pushes_without_attestations(
        buildx: str, run_cli: Any, aws: AwsEndpoint, tmp_path: Path) -> None:
    need_registry_binary()
    ecr = aws.client("ecr")
    name = f"bpe/buildx-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
                     "--builder", "buildx", env={**aws.env, "GITHUB_SHA": SHA})
    assert result.code == 0, result.log + result.stdout
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    [detail] = [d for d in details if d.get("imageTags")]
    assert detail["imageDigest"] == result.outputs["digest"]
    assert "index" not in detail["imageManifestMediaType"]  # no attestation index: Lambda can run it
