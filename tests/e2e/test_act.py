"""The GitHub front doors under act: workflows-examples/github run as a user's repository would run them.

`uses: org/deploy-actions/package-revision@v1` stays as written; act's --local-repository serves that
repository and ref from a copy of this tree, the way a runner would fetch the tag.
"""

from __future__ import annotations

import io
import json
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import AwsEndpoint
from tests.e2e.conftest import (
    EXAMPLES,
    Run,
    commit_all,
    host_env,
    keys_in,
    registered_keys,
    revision_lines,
    run,
    stored_revision,
)

pytestmark = pytest.mark.e2e


@dataclass
class Act:
    """act with a runner's setup: this tree as org/deploy-actions@v1, the AWS endpoint, a shared tool cache."""

    binary: str
    checkout: Path
    cache: Path
    aws: AwsEndpoint

    def push(self, repo: Path, workflow: str, *, secrets: dict[str, str], env: dict[str, str] | None = None,
             variables: dict[str, str] | None = None) -> Run:
        secret_file = repo.parent / "act.secrets"  # outside the repository, like a runner's secret store
        secret_file.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
        argv = [self.binary, "push", "-P", "ubuntu-latest=-self-hosted", "-W", f".github/workflows/{workflow}",
                "--local-repository", f"org/deploy-actions@v1={self.checkout}",
                "--action-cache-path", str(repo.parent / "act-cache"), "--secret-file", str(secret_file),
                "--var-file", "/dev/null", "--env-file", "/dev/null",
                "--env", f"AWS_ENDPOINT_URL={self.aws.url}", "--env", f"DEPLOY_ACTIONS_CACHE={self.cache}"]
        for name, value in (env or {}).items():
            argv += ["--env", f"{name}={value}"]
        for name, value in (variables or {}).items():
            argv += ["--var", f"{name}={value}"]
        return run(argv, cwd=repo, env=host_env(), timeout=300)


@pytest.fixture
def runner(act: str, action_checkout: Path, action_cache: Path, aws: AwsEndpoint) -> Act:
    return Act(act, action_checkout, action_cache, aws)


def add_workflows(repo: Path, *names: str) -> None:
    target = repo / ".github" / "workflows"
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(EXAMPLES / "github" / name, target / name)


def step_outputs(log: str, action: str) -> dict[str, str]:
    """Outputs act reports (`⚙  ::set-output:: name=value`) from the start of the action's step to its end."""
    outputs: dict[str, str] = {}
    inside = False
    for line in log.splitlines():
        if f"⭐ Run Main {action}" in line:
            inside = True
        elif inside and f"Main {action} [" in line:  # act's ✅/❌ line closing the step
            break
        elif inside and "::set-output:: " in line:
            name, _, value = line.split("::set-output:: ", 1)[1].partition("=")
            outputs[name] = value
    return outputs


def test_composite_then_root_action_package_upload_once_and_report_outputs(
        runner: Act, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path) -> None:
    add_workflows(user_repo, "package-revision.yml", "package-revision-root-action.yml")
    commit_all(user_repo)
    secret = f"e2e-secret-{uuid.uuid4().hex}"
    secrets = {"AWS_ACCESS_KEY_ID": "AKIAE2ETESTING", "AWS_SECRET_ACCESS_KEY": secret}

    first = runner.push(user_repo, "package-revision.yml", secrets=secrets, variables={"DEPLOY_BUCKET": bucket})
    print(f"act, composite action: {first.seconds:.1f}s")
    assert first.code == 0, first.output
    (report,) = revision_lines(first.output)
    assert report["bucket"] == bucket and report["uploaded"] == "true"
    assert report["key"] == f"releases/api/{application}-{report['sha256'][:16]}.zip"
    assert ": OK" in first.output, "the bundle-path output must name the archive whose sha256 was reported"
    outputs = step_outputs(first.output, "org/deploy-actions/package-revision@v1")
    assert outputs["s3-key"] == report["key"] and outputs["sha256"] == report["sha256"]
    assert json.loads(outputs["revision"]) == {"revisionType": "S3", "s3Location": {
        "bucket": bucket, "key": report["key"], "bundleType": "zip", "eTag": outputs["s3-etag"]}}

    body = stored_revision(aws, bucket, report["key"], report["sha256"])
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        info = bundle.read("deployment-info.env").decode()
        assert {"appspec.yml", "scripts/application_start.sh", "deployment-info.env"} <= set(bundle.namelist())
    assert "SPRING_PROFILES_ACTIVE='prod'" in info
    assert "DEPLOYED_AT='2023-11-14T22:13:20Z'" in info  # SOURCE_DATE_EPOCH from the commit

    # The same commit through the root action: same bytes, same key, nothing uploaded.
    again = runner.push(user_repo, "package-revision-root-action.yml", secrets=secrets,
                        variables={"DEPLOY_BUCKET": bucket})
    print(f"act, root action (warm): {again.seconds:.1f}s")
    assert again.code == 0, again.output
    (second,) = revision_lines(again.output)
    assert second == {**report, "uploaded": "false"}
    assert keys_in(aws, bucket) == [report["key"]]
    assert registered_keys(aws, application, bucket) == [report["key"]]

    for log in (first.output, again.output):
        assert secret not in log
    assert secret.encode() not in body


def test_credentials_from_the_runner_environment_are_masked_in_later_steps(
        runner: Act, bucket: str, user_repo: Path) -> None:
    """A key act does not know as a secret: only the action's ::add-mask:: can hide it from the log."""
    secret = f"e2e-unmasked-{uuid.uuid4().hex}"
    workflow = user_repo / ".github" / "workflows" / "leak.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\n"
        "jobs:\n"
        "  package:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
        "      - uses: org/deploy-actions/package-revision@v1\n"
        "        with:\n"
        "          source: deploy\n"
        f"          bucket: {bucket}\n"
        "      - run: |\n"
        "          echo \"key in a later step: $AWS_SECRET_ACCESS_KEY\"\n"
    )
    commit_all(user_repo)
    result = runner.push(user_repo, "leak.yml", secrets={}, env={
        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIAE2ETESTING", "AWS_SECRET_ACCESS_KEY": secret})
    assert result.code == 0, result.output
    assert "key in a later step: ***" in result.output
    assert secret not in result.output


def test_a_broken_appspec_fails_the_step_with_an_annotation_on_its_line_and_uploads_nothing(
        runner: Act, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path) -> None:
    add_workflows(user_repo, "package-revision.yml")
    appspec = user_repo / "deploy" / "appspec.yml"
    appspec.write_text(appspec.read_text().replace("  ValidateService:", "  ValidateServise:"))
    commit_all(user_repo)
    line = appspec.read_text().splitlines().index("  ValidateServise:") + 1
    result = runner.push(user_repo, "package-revision.yml", variables={"DEPLOY_BUCKET": bucket},
                         secrets={"AWS_ACCESS_KEY_ID": "AKIAE2ETESTING", "AWS_SECRET_ACCESS_KEY": "e2e"})
    assert result.code != 0
    annotations = [entry for entry in result.output.splitlines() if "::error " in entry]
    assert any(f"file=deploy/appspec.yml,line={line}" in entry and "ValidateService" in entry
               for entry in annotations), result.output
    assert "exit status 2" in result.output
    assert revision_lines(result.output) == []  # the report step never ran
    assert keys_in(aws, bucket) == []
