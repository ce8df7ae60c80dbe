"""The GitLab front door under gitlab-ci-local: workflows-examples/gitlab as a user's .gitlab-ci.yml.

The example includes `project: org/deploy-actions, ref: v1, file: gitlab-templates/package-revision.yml`
as a user would. gitlab-ci-local reads project includes from its include cache before it tries to
fetch them; the test puts this tree's template there, the way a GitLab instance would serve the tag.
The codedeploy-deploy example includes `gitlab-templates/codedeploy-deploy.yml` the same way and deploys
to a fleet the test seeds in the emulator. Jobs run on this host (`--force-shell-executor`: the template
names an image, which a shell runner ignores) with `.venv/bin` on PATH, so the job finds `deploy-actions`
without installing it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid
import zipfile
from pathlib import Path

import pytest

from deploy_actions.emulator.core.faults import Faults
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import (
    EXAMPLES,
    ROOT,
    SCRIPTS,
    USER_REMOTE,
    Fleet,
    Run,
    commit_all,
    host_env,
    registered_keys,
    revision_lines,
    run,
    stored_revision,
    summary_table_rows,
)

pytestmark = pytest.mark.e2e

TEMPLATE = "gitlab-templates/package-revision.yml"


def serve_project_include(repo: Path, project: str, ref: str, file: str) -> None:
    """Where gitlab-ci-local 4.70 keeps a fetched `include: project:` file (state dir / includes / host)."""
    host = USER_REMOTE.split("/")[2]
    target = repo / ".gitlab-ci-local" / "includes" / host / project / ref / file
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / file, target)


def pipeline(gitlab_ci_local: str, repo: Path, aws: AwsEndpoint, variables: dict[str, str]) -> Run:
    argv = [gitlab_ci_local, "--force-shell-executor"]
    for name, value in {**aws.env, **variables}.items():
        argv += ["--variable", f"{name}={value}"]
    env = host_env(PATH=f"{SCRIPTS}:{host_env().get('PATH', '')}")
    return run(argv, cwd=repo, env=env, timeout=300)


def test_component_packages_uploads_and_hands_outputs_to_a_later_job(
        gitlab_ci_local: str, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path) -> None:
    shutil.copy(EXAMPLES / "gitlab" / "package-revision.yml", user_repo / ".gitlab-ci.yml")
    commit_all(user_repo)
    serve_project_include(user_repo, "org/deploy-actions", "v1", TEMPLATE)
    secret = f"e2e-secret-{uuid.uuid4().hex}"

    result = pipeline(gitlab_ci_local, user_repo, aws, {"DEPLOY_BUCKET": bucket, "AWS_SECRET_ACCESS_KEY": secret})
    print(f"gitlab-ci-local pipeline: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    assert "PASS  package-revision" in result.output and "PASS  check-revision" in result.output

    # check-revision printed the dotenv variables package-revision published.
    (report,) = revision_lines(result.output)
    assert report["bucket"] == bucket and report["uploaded"] == "true"
    assert report["key"] == f"releases/api/{application}-{report['sha256'][:16]}.zip"
    assert registered_keys(aws, application, bucket) == [report["key"]]
    assert (f'revision-location: {{"revisionType":"S3","s3Location":{{"bucket":"{bucket}",'
            f'"key":"{report["key"]}","bundleType":"zip"') in result.output

    body = stored_revision(aws, bucket, report["key"], report["sha256"])
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        info = bundle.read("deployment-info.env").decode()
    assert "SPRING_PROFILES_ACTIVE='prod'" in info
    assert "DEPLOYED_AT='2023-11-14T22:13:20Z'" in info  # before_script: SOURCE_DATE_EPOCH from the commit
    assert "REPOSITORY='acme/api'" in info

    artifacts = user_repo / ".gitlab-ci-local" / "artifacts" / "package-revision"
    summary = (artifacts / "deploy-actions-summary-package-revision.md").read_text()
    assert report["key"] in summary
    published = [p for p in artifacts.rglob("*") if p.is_file()]
    assert published, "the job publishes its summary and dotenv report"
    for text in [result.output, *(p.read_text(errors="replace") for p in published)]:
        assert secret not in text
    assert secret.encode() not in body


def test_a_missing_bucket_fails_the_job_with_exit_2_and_stops_the_pipeline(
        gitlab_ci_local: str, aws: AwsEndpoint, application: str, user_repo: Path) -> None:
    shutil.copy(EXAMPLES / "gitlab" / "package-revision.yml", user_repo / ".gitlab-ci.yml")
    commit_all(user_repo)
    serve_project_include(user_repo, "org/deploy-actions", "v1", TEMPLATE)
    absent = f"e2e-absent-{uuid.uuid4().hex[:10]}"

    result = pipeline(gitlab_ci_local, user_repo, aws, {"DEPLOY_BUCKET": absent})
    assert result.code != 0
    assert "FAIL  package-revision" in result.output
    assert "check-revision" not in result.output.split("FAIL  package-revision", 1)[1], "later stages must not run"
    assert f"input 'bucket' = '{absent}': no such bucket" in result.output
    assert re.search(r"package-revision finished in .*FAIL 2\b", result.output), "exit code 2: configuration error"
    assert revision_lines(result.output) == []


# -- codedeploy-deploy: the package job's dotenv REVISION becomes the deploy job's revision input -----------

DEPLOY_TEMPLATE = "gitlab-templates/codedeploy-deploy.yml"


def deploy_pipeline(gitlab_ci_local: str, repo: Path, aws: AwsEndpoint, fleet: Fleet) -> Run:
    shutil.copy(EXAMPLES / "gitlab" / "codedeploy-deploy.yml", repo / ".gitlab-ci.yml")
    commit_all(repo)
    for template in (TEMPLATE, DEPLOY_TEMPLATE):
        serve_project_include(repo, "org/deploy-actions", "v1", template)
    return pipeline(gitlab_ci_local, repo, aws, fleet.variables)


def job_lines(log: str, job: str) -> list[str]:
    """What one job printed (gitlab-ci-local prefixes each of its lines with the job's name)."""
    return [line.split(" > ", 1)[1] for line in log.splitlines() if line.startswith(f"{job} ") and " > " in line]


def published_summary(repo: Path, job: str) -> str:
    """The job's own summary artifact (deploy-actions-summary-<job>.md), as gitlab-ci-local saved it."""
    return (repo / ".gitlab-ci-local" / "artifacts" / job / f"deploy-actions-summary-{job}.md").read_text()


def deployment_report(log: str) -> dict[str, str]:
    """What the example's deployment-report job printed from codedeploy-deploy's dotenv variables."""
    lines = "\n".join(job_lines(log, "deployment-report"))
    found = re.search(r"deployment: (?P<id>d-[A-Z0-9]{9}) status=(?P<status>\w+) rollback=(?P<rollback>\S+)", lines)
    instances = re.search(r"instances: (\[.*\])", lines)
    assert found and instances, log
    return {**found.groupdict(), "instances": instances.group(1)}


def test_component_deploys_the_packaged_revision_rolling_and_the_load_balancer_serves_it(
        gitlab_ci_local: str, aws: AwsEndpoint, fleet: Fleet, app_repo: Path) -> None:
    result = deploy_pipeline(gitlab_ci_local, app_repo, aws, fleet)
    print(f"gitlab-ci-local, package + rolling deployment to 3 instances: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    for job in ("package-revision", "codedeploy-deploy", "deployment-report"):
        assert f"PASS  {job}" in result.output, result.output

    report = deployment_report(result.output)
    assert report["status"] == "Succeeded" and report["rollback"] == "none"
    instances = json.loads(report["instances"])
    assert len(instances) == 3 and {i["status"] for i in instances} == {"Succeeded"}
    deploy_log = "\n".join(job_lines(result.output, "codedeploy-deploy"))
    for instance in instances:
        assert f"{instance['id']} ValidateService ✔ Succeeded" in deploy_log

    info = fleet.info(report["id"])
    assert info["status"] == "Succeeded"
    key = info["revision"]["s3Location"]["key"]  # the one package-revision uploaded and registered
    assert key.startswith("releases/web/")
    assert registered_keys(aws, fleet.out["application"], fleet.out["bucket"]) == [key]
    assert f"s3://{fleet.out['bucket']}/{key}` — uploaded" in published_summary(app_repo, "package-revision")
    assert fleet.serves() == "version: 2"

    summary = published_summary(app_repo, "codedeploy-deploy")
    assert "— uploaded" not in summary  # the package job's summary stays in its own file
    assert "| target | fleet | status | failed hook | duration |" in summary, summary
    rows = summary_table_rows(summary)
    assert set(rows) == {i["id"] for i in instances}
    assert all(row[1] == "✅ Succeeded" for row in rows.values()), summary


def test_a_failing_hook_fails_the_deploy_job_with_the_hook_and_its_log_and_the_rollback_is_reported(
        gitlab_ci_local: str, aws: AwsEndpoint, fleet: Fleet, faults: Faults, app_repo: Path) -> None:
    good = fleet.deploy_version("1")
    faults.fail_hook("ValidateService", instance=2)

    result = deploy_pipeline(gitlab_ci_local, app_repo, aws, fleet)
    print(f"gitlab-ci-local, failing deployment and its rollback: {result.seconds:.1f}s")
    assert result.code != 0, result.output
    assert "PASS  package-revision" in result.output and "FAIL  codedeploy-deploy" in result.output, result.output
    assert re.search(r"codedeploy-deploy finished in .*FAIL 1\b", result.output), "exit code 1: the deployment failed"

    deploy_log = "\n".join(job_lines(result.output, "codedeploy-deploy"))
    # gitlab-ci-local sets GITLAB_CI=false, so the job prints plain `error:` lines (`ERROR:` on GitLab itself).
    (error,) = re.findall(r"(?i:error): ValidateService failed on (i-[0-9a-f]+) "
                          r"running scripts/validate.sh \[ScriptFailed\]", deploy_log)
    created = re.search(r"Created deployment (d-[A-Z0-9]{9})", deploy_log)
    assert created, deploy_log
    assert fleet.failed_events(created.group(1)) == {error: "ValidateService"}
    assert f"last lines of the ValidateService log on {error}:" in deploy_log
    assert deploy_log.count("[stdout]health: ok") == 1  # the hook's own output, once, behind the `  | ` guard
    assert "  | [stdout]health: ok" in deploy_log

    # The rollback was followed to its end and reported; the fleet serves the last good version again.
    rollback = re.search(r"Rollback (d-[A-Z0-9]{9}) restored the last good revision", deploy_log)
    assert rollback, deploy_log
    info = fleet.info(rollback.group(1))
    assert info["status"] == "Succeeded" and info["revision"] == good
    assert fleet.serves() == "version: 1"
    assert "PASS  deployment-report" in result.output  # when: always, with the failed job's dotenv outputs
    report = deployment_report(result.output)
    assert (report["id"], report["status"], report["rollback"]) == (created.group(1), "Failed", rollback.group(1))
    assert [i["status"] for i in json.loads(report["instances"])] == ["Succeeded", "Failed", "Skipped"]

    summary = published_summary(app_repo, "codedeploy-deploy")
    rows = summary_table_rows(summary)
    assert rows[error][1:3] == ["❌ Failed", "ValidateService"], summary
