"""The GitHub front doors under act: workflows-examples/github run as a user's repository would run them.

`uses: org/deploy-actions/package-revision@v1` stays as written; act's --local-repository serves that
repository and ref from a copy of this tree, the way a runner would fetch the tag. The codedeploy-deploy
example deploys to a fleet the test seeds in the emulator (an ALB, an Auto Scaling group, a CodeDeploy
group); the emulator runs the example app's hooks and serves the load balancer on loopback.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy_actions.emulator.core.faults import Faults
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import (
    EXAMPLES,
    Fleet,
    Run,
    commit_all,
    host_env,
    keys_in,
    registered_keys,
    revision_lines,
    run,
    stored_revision,
    summary_table_rows,
)
from tests.support.oidc import ROLE, OidcTokens

pytestmark = pytest.mark.e2e


@dataclass
class Act:
    """act with a runner's setup: this tree as org/deploy-actions@v1, the AWS endpoint, a shared tool cache."""

    binary: str
    checkout: Path
    cache: Path
    aws: AwsEndpoint

    def push(self, repo: Path, workflow: str, *, secrets: dict[str, str], env: dict[str, str] | None = None,
             variables: dict[str, str] | None = None, oidc: OidcTokens | None = None) -> Run:
        """`oidc`: the job gets an ID-token service and the AWS_ROLE_ARN variable, as the examples expect."""
        if oidc is not None:
            env = {**oidc.env, **(env or {})}
            variables = {"AWS_ROLE_ARN": ROLE, **(variables or {})}
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


@pytest.fixture
def oidc() -> Iterator[OidcTokens]:
    tokens = OidcTokens()
    yield tokens
    tokens.close()


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


def step_summary(log: str, action: str) -> str:
    """What the step wrote to GITHUB_STEP_SUMMARY: act prints it (`⚙  Summary - …`) after the step's end line."""
    lines = log.splitlines()
    end = next(i for i, line in enumerate(lines) if f"Main {action} [" in line)
    start = next((i for i in range(end + 1, len(lines)) if "⚙  Summary - " in lines[i] or "⭐ Run " in lines[i]), None)
    if start is None or "⚙  Summary - " not in lines[start]:
        return ""  # the next step started: this one wrote no summary
    job, _, first = lines[start].partition("⚙  Summary - ")
    prefix = job.split("]", 1)[0] + "] "  # `[workflow/job] `: act's next line; the summary's own lines have none
    block = [first]
    for line in lines[start + 1:]:
        if line.startswith(prefix):
            break
        block.append(line)
    return "\n".join(block)


def test_composite_then_root_action_package_upload_once_and_report_outputs(
        runner: Act, oidc: OidcTokens, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path) -> None:
    add_workflows(user_repo, "package-revision.yml", "package-revision-root-action.yml")
    commit_all(user_repo)
    secret = oidc.token  # the job's ID token: masked, and in no archive

    first = runner.push(user_repo, "package-revision.yml", secrets={}, variables={"DEPLOY_BUCKET": bucket},
                        oidc=oidc)
    print(f"act, composite action: {first.seconds:.1f}s")
    assert first.code == 0, first.output
    assert oidc.audiences == ["sts.amazonaws.com"]  # it authenticated by OIDC, with no access keys anywhere
    assert f"Assumed role {ROLE}" in first.output
    (report,) = revision_lines(first.output)
    assert report["bucket"] == bucket and report["uploaded"] == "true"
    assert re.fullmatch(rf"releases/api/{application}-[0-9a-f]{{16}}\.zip", report["key"])  # the files' digest
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
    # No SOURCE_DATE_EPOCH in the workflow: the build moment is the commit's. act's push event carries no
    # head_commit, so the message comes from the checkout.
    assert "DEPLOYED_AT='2023-11-14T22:13:20Z'" in info and "COMMIT_MESSAGE='Deploy the API'" in info

    # The same commit through the root action: same bytes, same key, nothing uploaded.
    again = runner.push(user_repo, "package-revision-root-action.yml", secrets={},
                        variables={"DEPLOY_BUCKET": bucket}, oidc=oidc)
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
        runner: Act, oidc: OidcTokens, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path) -> None:
    add_workflows(user_repo, "package-revision.yml")
    appspec = user_repo / "deploy" / "appspec.yml"
    appspec.write_text(appspec.read_text().replace("  ValidateService:", "  ValidateServise:"))
    commit_all(user_repo)
    line = appspec.read_text().splitlines().index("  ValidateServise:") + 1
    result = runner.push(user_repo, "package-revision.yml", variables={"DEPLOY_BUCKET": bucket}, secrets={},
                         oidc=oidc)
    assert result.code != 0
    annotations = [entry for entry in result.output.splitlines() if "::error " in entry]
    assert any(f"file=deploy/appspec.yml,line={line}" in entry and "ValidateService" in entry
               for entry in annotations), result.output
    assert "exit status 2" in result.output
    assert revision_lines(result.output) == []  # the report step never ran
    assert keys_in(aws, bucket) == []


# -- codedeploy-deploy: package, deploy to the emulator's fleet, follow it, explain a failure --------------

DEPLOY_ACTION = "org/deploy-actions/codedeploy-deploy@v1"
def report_line(log: str) -> dict[str, str]:
    """The `deployment: … status=… rollback=…` line the example's report step prints."""
    found = re.search(r"deployment: (?P<id>d-[A-Z0-9]{9}) status=(?P<status>\w+) rollback=(?P<rollback>\S+)", log)
    assert found, log
    return found.groupdict()


def test_codedeploy_rolling_deployment_is_followed_reported_and_served(
        runner: Act, oidc: OidcTokens, fleet: Fleet, app_repo: Path) -> None:
    add_workflows(app_repo, "codedeploy-deploy.yml")
    commit_all(app_repo)
    assert fleet.serves(timeout=0) != "version: 2"

    result = runner.push(app_repo, "codedeploy-deploy.yml", secrets={}, variables=fleet.variables, oidc=oidc)
    print(f"act, package + rolling deployment to 3 instances: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    assert "🏁  Job succeeded" in result.output

    package = step_outputs(result.output, "org/deploy-actions/package-revision@v1")
    outputs = step_outputs(result.output, DEPLOY_ACTION)
    assert re.fullmatch(r"d-[A-Z0-9]{9}", outputs["deployment-id"]), outputs
    assert outputs["status"] == "Succeeded"
    assert outputs["rollback-deployment-id"] == ""
    instances = json.loads(outputs["instances"])
    assert len(instances) == 3
    assert {i["status"] for i in instances} == {"Succeeded"} and {i["failed-hook"] for i in instances} == {""}
    assert outputs["console-url"].endswith(f"/deployments/{outputs['deployment-id']}?region=us-east-1")
    for instance in instances:  # followed live, instance by instance
        assert f"{instance['id']} ValidateService ✔ Succeeded" in result.output
    assert report_line(result.output) == {"id": outputs["deployment-id"], "status": "Succeeded", "rollback": "none"}

    # What CodeDeploy and the load balancer say: the packaged revision runs everywhere and is served.
    info = fleet.info(outputs["deployment-id"])
    assert info["status"] == "Succeeded"
    assert info["revision"]["s3Location"]["key"] == package["s3-key"]
    assert fleet.serves() == "version: 2"

    summary = step_summary(result.output, DEPLOY_ACTION)
    assert "| target | fleet | status | failed hook | duration |" in summary, result.output
    rows = summary_table_rows(summary)
    assert set(rows) == {i["id"] for i in instances}
    assert all(row[1] == "✅ Succeeded" and row[2] == "—" for row in rows.values()), summary


def test_codedeploy_failing_hook_on_instance_2_of_3_fails_the_job_and_the_rollback_is_followed(
        runner: Act, oidc: OidcTokens, fleet: Fleet, faults: Faults, app_repo: Path) -> None:
    good = fleet.deploy_version("1")
    assert fleet.serves() == "version: 1"
    faults.fail_hook("ValidateService", instance=2)
    add_workflows(app_repo, "codedeploy-deploy.yml")
    commit_all(app_repo)

    result = runner.push(app_repo, "codedeploy-deploy.yml", secrets={}, variables=fleet.variables, oidc=oidc)
    print(f"act, failing deployment and its rollback: {result.seconds:.1f}s")
    assert result.code != 0, result.output
    assert "🏁  Job failed" in result.output
    assert f"❌  Failure - Main {DEPLOY_ACTION}" in result.output

    outputs = step_outputs(result.output, DEPLOY_ACTION)
    assert outputs["status"] == "Failed", result.output
    instances = json.loads(outputs["instances"])
    assert [i["status"] for i in instances] == ["Succeeded", "Failed", "Skipped"]
    failed = instances[1]["id"]
    assert instances[1]["failed-hook"] == "ValidateService"
    assert fleet.failed_events(outputs["deployment-id"]) == {failed: "ValidateService"}

    # The annotation names the instance and the hook and carries the hook's own log tail.
    (annotation,) = [line.split("::error ", 1)[1] for line in result.output.splitlines()
                     if f"::error title=ValidateService failed on {failed}::" in line]
    assert "running scripts/validate.sh [ScriptFailed]" in annotation
    assert "last lines of the log:" in annotation.replace("%0A", "\n")
    assert "[stdout]health: ok" in annotation  # validate.sh's own output: the app answered, the hook still failed
    assert "LifecycleEvent - ValidateService" in result.output  # the longer tail, in the log

    # CodeDeploy rolled back on its own; the action followed that rollback to its end.
    rollback = outputs["rollback-deployment-id"]
    assert re.fullmatch(r"d-[A-Z0-9]{9}", rollback), outputs
    assert f"Rollback {rollback} restored the last good revision" in result.output
    assert report_line(result.output) == {"id": outputs["deployment-id"], "status": "Failed", "rollback": rollback}
    info = fleet.info(rollback)
    assert info["status"] == "Succeeded" and info["revision"] == good
    assert fleet.serves() == "version: 1"

    summary = step_summary(result.output, DEPLOY_ACTION)
    rows = summary_table_rows(summary)
    assert set(rows) == {i["id"] for i in instances}, summary
    assert rows[failed][1:3] == ["❌ Failed", "ValidateService"], summary
    assert f"Automatic rollback [`{rollback}`] ended **Succeeded**" in summary
