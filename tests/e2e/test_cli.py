"""The third front door: the installed `deploy-actions` console script, as Jenkins, CodeBuild or a laptop runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import AwsEndpoint
from tests.e2e.conftest import COMMIT_EPOCH, host_env, keys_in, run, stored_revision

pytestmark = pytest.mark.e2e


def cli_env(aws: AwsEndpoint, tmp_path: Path, **extra: str) -> dict[str, str]:
    return host_env(**aws.env, SOURCE_DATE_EPOCH=str(COMMIT_EPOCH),
                    DEPLOY_ACTIONS_DOTENV=str(tmp_path / "outputs.env"), **extra)


def test_console_script_packages_uploads_and_prints_outputs(
        deploy_actions_cli: str, aws: AwsEndpoint, bucket: str, user_repo: Path, tmp_path: Path) -> None:
    argv = [deploy_actions_cli, "package-revision", "--source", "deploy", "--bucket", bucket,
            "--key-prefix", "releases/api", "--json"]
    result = run(argv, cwd=user_repo, env=cli_env(aws, tmp_path))
    print(f"deploy-actions package-revision: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    outputs = json.loads(result.output.strip().splitlines()[-1])
    assert outputs["uploaded"] == "true" and outputs["s3-bucket"] == bucket
    assert re.fullmatch(r"releases/api/deploy-[0-9a-f]{16}\.zip", outputs["s3-key"])  # the files' digest
    archive = user_repo / "revision.zip"
    assert Path(outputs["bundle-path"]) == archive
    assert stored_revision(aws, bucket, outputs["s3-key"], outputs["sha256"]) == archive.read_bytes()
    dotenv = (tmp_path / "outputs.env").read_text()
    assert f"S3_KEY={outputs['s3-key']}\n" in dotenv and f"SHA256={outputs['sha256']}\n" in dotenv

    again = run(argv, cwd=user_repo, env=cli_env(aws, tmp_path))
    assert again.code == 0, again.output
    assert json.loads(again.output.strip().splitlines()[-1])["uploaded"] == "false"


def test_console_script_rejects_bad_input_with_exit_2_and_uploads_nothing(
        deploy_actions_cli: str, aws: AwsEndpoint, bucket: str, user_repo: Path, tmp_path: Path) -> None:
    argv = [deploy_actions_cli, "package-revision", "--source", "deploy", "--bucket", bucket, "--bundle-type", "rar"]
    result = run(argv, cwd=user_repo, env=cli_env(aws, tmp_path))
    assert result.code == 2, result.output
    assert "bundle-type" in result.output and "rar" in result.output
    assert "Traceback" not in result.output
    assert keys_in(aws, bucket) == []
    assert not (user_repo / "revision.zip").exists()
