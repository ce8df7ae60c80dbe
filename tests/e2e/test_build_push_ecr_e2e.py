"""build-push-ecr through its front doors, pushing for real to the emulator's ECR.

The GitHub action under act: auto passes over the classic Docker builder, which cannot pass the example's build
secret, for buildah. The GitLab component under gitlab-ci-local, in a job without Docker-in-Docker: buildah
builds with vfs storage and chroot isolation."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator.ecr.service import FindingsRule, finding
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import EXAMPLES, BuiltWheel, GitlabInstall, commit_all
from tests.e2e.test_act import Act, add_workflows, oidc, runner, step_outputs, step_summary  # noqa: F401 (fixture)
from tests.e2e.test_gitlab_ci_local import id_token, pipeline, serve_component
from tests.integration.emulator.ecr_registry import need_registry_binary
from tests.integration.test_build_push_ecr import app, container_storage, tool
from tests.support.oidc import OidcTokens

pytestmark = pytest.mark.e2e


@pytest.fixture
def ecr(aws: AwsEndpoint) -> Any:
    need_registry_binary()
    return aws.client("ecr")


def test_github_action_under_act_picks_a_builder_for_the_secret_and_pushes_to_ecr(
        runner: Act, oidc: OidcTokens, aws: AwsEndpoint, ecr: Any, user_repo: Path) -> None:  # noqa: F811
    tool("docker")
    name = f"e2e/act-{uuid.uuid4().hex[:8]}"
    app(user_repo, uuid.uuid4().hex)
    add_workflows(user_repo, "build-push-ecr.yml")
    sha = commit_all(user_repo)
    npm = f"npm-{uuid.uuid4().hex}"
    result = runner.push(user_repo, "build-push-ecr.yml", variables={"ECR_REPOSITORY": name},
        secrets={"NPM_TOKEN": npm}, env=container_storage(user_repo.parent / "containers"), oidc=oidc)
    print(f"act, build-push-ecr: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    outputs = step_outputs(result.output, "org/deploy-actions/build-push-ecr@v1")
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert outputs["digest"] == detail["imageDigest"]
    assert sorted(detail["imageTags"]) == sorted(["main", f"sha-{sha[:7]}"])
    assert outputs["image-digest-uri"] == f"{outputs['registry']}/{name}@{detail['imageDigest']}"
    assert f"image: {outputs['image']} digest-uri={outputs['image-digest-uri']}" in result.output
    assert ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]  # keep-last: 50
    summary = step_summary(result.output, "org/deploy-actions/build-push-ecr@v1")
    assert detail["imageDigest"] in summary and "| builder | buildah |" in summary
    assert "docker: cannot do secrets" in result.output  # auto says why it passed over the Docker engine
    assert npm not in result.output
    shutil.rmtree(user_repo / ".git")  # nothing of the run is left to the next test


def test_gitlab_component_builds_with_buildah_without_docker_in_docker_and_is_gated_by_the_scan(
        gitlab_ci_local: str, aws: AwsEndpoint, aws_emulator: Any, ecr: Any, user_repo: Path,
        tree_wheel: BuiltWheel, gitlab_install: GitlabInstall, tmp_path: Path) -> None:
    tool("buildah")
    name = f"e2e/gitlab-{uuid.uuid4().hex[:8]}"
    app(user_repo, uuid.uuid4().hex, secret=True)
    shutil.copy(EXAMPLES / "gitlab" / "build-push-ecr.yml", user_repo / ".gitlab-ci.yml")
    sha = commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "build-push-ecr", tree_wheel)
    aws_emulator.ecr.set_findings(FindingsRule(name, "", [finding("CVE-2026-4242", "CRITICAL")], seconds=30))
    npm = f"npm-{uuid.uuid4().hex}"
    variables = {"ECR_REPOSITORY": name, "BUILD_SECRETS": f"token={npm}",
                 # a storage of the test's own, so jobs on this host do not share buildah's default one
                 "CONTAINERS_STORAGE_CONF": container_storage(tmp_path / "containers")["CONTAINERS_STORAGE_CONF"]}

    result = pipeline(gitlab_ci_local, user_repo, aws, variables, gitlab_install, token=id_token())
    print(f"gitlab-ci-local, build-push-ecr with buildah: {result.seconds:.1f}s")
    # Pushed, then failed by the gate; the job's dotenv report still says what was pushed.
    assert result.code != 0, result.output
    assert "FAIL  build-image" in result.output and "CVE-2026-4242 (CRITICAL)" in result.output
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert sorted(detail["imageTags"]) == sorted(["main", f"sha-{sha[:7]}"])
    artifacts = user_repo / ".gitlab-ci-local" / "artifacts" / "build-image"
    dotenv = (artifacts / ".gitlab-ci-reports" / "dotenv" / "deploy-actions.env").read_text()
    values = dict(line.split("=", 1) for line in dotenv.splitlines())
    assert values["DIGEST"] == detail["imageDigest"]
    assert json.loads(values["SCAN_FINDINGS"]) == {"CRITICAL": 1}
    summary = (artifacts / "deploy-actions-summary-build-image.md").read_text()
    assert "| builder | buildah |" in summary and "1 CRITICAL" in summary
    assert not any(npm in text for text in (result.output, dotenv, summary))
