"""The GitLab front door under gitlab-ci-local: workflows-examples/gitlab as a user's .gitlab-ci.yml.

The example includes `project: org/deploy-actions, ref: v1, file: gitlab-templates/package-revision.yml`
as a user would. gitlab-ci-local reads project includes from its include cache before it tries to
fetch them; the test puts this tree's component there, the way a GitLab instance would serve the tag:
rendered by the generator and pinned to this tree's wheel, as `--release` pins a release.
The codedeploy-deploy example includes `gitlab-templates/codedeploy-deploy.yml` the same way and deploys
to a fleet the test seeds in the emulator. Jobs run on this host (`--force-shell-executor`: the template
names an image, which a shell runner ignores), as on a shell runner: with python3 and no `deploy-actions`
on PATH, so each job installs the wheel and its dependencies itself, hash-checked by pip, from a local
folder (PIP_FIND_LINKS, PIP_NO_INDEX); the session's first job fills DEPLOY_ACTIONS_CACHE, later jobs reuse it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from deploy_actions.actions import all_actions
from deploy_actions.emulator import Emulator
from deploy_actions.emulator.core.faults import Faults
from deploy_actions.frontdoors import render
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import (
    EXAMPLE_APP,
    EXAMPLES,
    USER_REMOTE,
    BuiltWheel,
    Fleet,
    GitlabInstall,
    Run,
    commit_all,
    host_env,
    keys_in,
    registered_keys,
    revision_lines,
    run,
    stored_revision,
    summary_table_rows,
    wheel_folder,
)
from tests.support.revisions import upload_revision, zip_revision

pytestmark = pytest.mark.e2e

TEMPLATE = "gitlab-templates/package-revision.yml"


def serve_project_include(repo: Path, project: str, ref: str, file: str, wheel: BuiltWheel) -> None:
    """Where gitlab-ci-local 4.70 keeps a fetched `include: project:` file (state dir / includes / host): the
    component as the generator renders it, pinned to this tree's wheel."""
    host = USER_REMOTE.split("/")[2]
    target = repo / ".gitlab-ci-local" / "includes" / host / project / ref / file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render.gitlab_component(all_actions()[Path(file).stem], wheel.requirement))


def serve_component(repo: Path, project: str, ref: str, name: str, wheel: BuiltWheel) -> None:
    """Where gitlab-ci-local 4.70 keeps a fetched `include: component: <host>/<project>/<name>@<ref>`
    (state dir / includes / host / project / ref / templates/<name>.yml), as a GitLab instance serves the tag."""
    host = USER_REMOTE.split("/")[2]
    target = repo / ".gitlab-ci-local" / "includes" / host / project / ref / "templates" / f"{name}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render.gitlab_component(all_actions()[name], wheel.requirement))
    serve_project_include(repo, project, ref, f"gitlab-templates/{name}.yml", wheel)


ROLE = "arn:aws:iam::123456789012:role/gitlab-deploy"


def id_token() -> str:
    """What GitLab puts in an id_tokens variable: a JWT (the emulator's STS does not check its signature)."""
    return f"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGg6YWNtZS9hcGk6cmVmOm1haW4ifQ.{uuid.uuid4().hex}"


def oidc_variables(aws: AwsEndpoint, token: str | None = None) -> dict[str, str]:
    """The CI/CD variables of a project whose jobs authenticate as the examples do: the endpoint, the role
    (DEPLOY_ROLE_ARN) and the id_tokens variable AWS_ID_TOKEN; no access keys anywhere."""
    endpoint = {k: v for k, v in aws.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    return {**endpoint, "DEPLOY_ROLE_ARN": ROLE, "AWS_ID_TOKEN": token or id_token()}


def pipeline(gitlab_ci_local: str, repo: Path, aws: AwsEndpoint, variables: dict[str, str],
             install: GitlabInstall, *, token: str | None = None) -> Run:
    """`token`: the jobs authenticate by OIDC with it (oidc_variables); without it, by the emulator's keys."""
    endpoint = aws.env if token is None else oidc_variables(aws, token)
    argv = [gitlab_ci_local, "--force-shell-executor"]
    for name, value in {**endpoint, **install.variables, **variables}.items():
        argv += ["--variable", f"{name}={value}"]
    return run(argv, cwd=repo, env=host_env(PATH=install.path), timeout=300)


# -- What a job installs: this ref's wheel and the dependencies it pins, every file checked by pip ------------

def installed_venvs(cache: Path) -> list[Path]:
    """The cache's published environments (a symlink each, made only once an install completed)."""
    return sorted(p for p in cache.glob("gitlab-venv-*") if p.is_symlink()) if cache.is_dir() else []


def test_the_job_installs_its_own_pinned_wheel_from_a_local_folder_with_no_deploy_actions_on_path(
        gitlab_ci_local: str, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path,
        tree_wheel: BuiltWheel, gitlab_install: GitlabInstall, tmp_path: Path) -> None:
    # First in this file, so it fills the session's cache; run on its own after others, it uses an empty one.
    install = gitlab_install.fresh(tmp_path) if installed_venvs(gitlab_install.cache) else gitlab_install
    assert shutil.which("deploy-actions", path=install.path) is None
    shutil.copy(EXAMPLES / "gitlab" / "package-revision.yml", user_repo / ".gitlab-ci.yml")
    commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "package-revision", tree_wheel)

    result = pipeline(gitlab_ci_local, user_repo, aws, {"DEPLOY_BUCKET": bucket}, install, token=id_token())
    print(f"gitlab-ci-local, installing into an empty cache and packaging: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    (report,) = revision_lines(result.output)
    assert report["uploaded"] == "true" and registered_keys(aws, application, bucket) == [report["key"]]

    # What ran is what the job installed: the pinned wheel, from the folder, into the cache.
    (venv,) = installed_venvs(install.cache)
    name, version = re.match(r"(\S+)==(\S+) ", tree_wheel.requirement).groups()  # type: ignore[union-attr]
    (dist_info,) = venv.glob(f"lib/python3*/site-packages/{name.replace('-', '_')}-{version}.dist-info")
    assert (dist_info / "INSTALLER").read_text().strip() == "pip"
    assert (venv / "bin" / "deploy-actions").is_file()


def test_component_packages_uploads_and_hands_outputs_to_a_later_job(
        gitlab_ci_local: str, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path,
        tree_wheel: BuiltWheel, gitlab_install: GitlabInstall) -> None:
    shutil.copy(EXAMPLES / "gitlab" / "package-revision.yml", user_repo / ".gitlab-ci.yml")
    commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "package-revision", tree_wheel)
    secret = id_token()  # the job's OIDC token: in no log, artifact or archive

    result = pipeline(gitlab_ci_local, user_repo, aws, {"DEPLOY_BUCKET": bucket}, gitlab_install, token=secret)
    print(f"gitlab-ci-local pipeline: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    assert f"Assumed role {ROLE}" in result.output  # by OIDC: no access keys reached the job
    assert "PASS  package-revision" in result.output and "PASS  check-revision" in result.output

    # check-revision printed the dotenv variables package-revision published.
    (report,) = revision_lines(result.output)
    assert report["bucket"] == bucket and report["uploaded"] == "true"
    assert re.fullmatch(rf"releases/api/{application}-[0-9a-f]{{16}}\.zip", report["key"])  # the files' digest
    assert registered_keys(aws, application, bucket) == [report["key"]]
    assert (f'revision-location: {{"revisionType":"S3","s3Location":{{"bucket":"{bucket}",'
            f'"key":"{report["key"]}","bundleType":"zip"') in result.output

    body = stored_revision(aws, bucket, report["key"], report["sha256"])
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        info = bundle.read("deployment-info.env").decode()
    assert "SPRING_PROFILES_ACTIVE='prod'" in info
    assert "DEPLOYED_AT='2023-11-14T22:13:20Z'" in info  # the commit's time, from the checkout (not the run's)
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
        gitlab_ci_local: str, aws: AwsEndpoint, application: str, user_repo: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    shutil.copy(EXAMPLES / "gitlab" / "package-revision.yml", user_repo / ".gitlab-ci.yml")
    commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "package-revision", tree_wheel)
    absent = f"e2e-absent-{uuid.uuid4().hex[:10]}"

    result = pipeline(gitlab_ci_local, user_repo, aws, {"DEPLOY_BUCKET": absent}, gitlab_install, token=id_token())
    assert result.code != 0
    assert "FAIL  package-revision" in result.output
    assert "check-revision" not in result.output.split("FAIL  package-revision", 1)[1], "later stages must not run"
    assert f"input 'bucket' = '{absent}': no such bucket" in result.output
    assert re.search(r"package-revision finished in .*FAIL 2\b", result.output), "exit code 2: configuration error"
    assert revision_lines(result.output) == []


# -- codedeploy-deploy: the package job's dotenv REVISION becomes the deploy job's revision input -----------

DEPLOY_TEMPLATE = "gitlab-templates/codedeploy-deploy.yml"


def deploy_pipeline(gitlab_ci_local: str, repo: Path, aws: AwsEndpoint, fleet: Fleet, wheel: BuiltWheel,
                    install: GitlabInstall) -> Run:
    shutil.copy(EXAMPLES / "gitlab" / "codedeploy-deploy.yml", repo / ".gitlab-ci.yml")
    commit_all(repo)
    for name in ("package-revision", "codedeploy-deploy"):
        serve_component(repo, "org/deploy-actions", "v1", name, wheel)
    return pipeline(gitlab_ci_local, repo, aws, fleet.variables, install, token=id_token())


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
        gitlab_ci_local: str, aws: AwsEndpoint, fleet: Fleet, app_repo: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    result = deploy_pipeline(gitlab_ci_local, app_repo, aws, fleet, tree_wheel, gitlab_install)
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
        gitlab_ci_local: str, aws: AwsEndpoint, fleet: Fleet, faults: Faults, app_repo: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    good = fleet.deploy_version("1")
    faults.fail_hook("ValidateService", instance=2)

    result = deploy_pipeline(gitlab_ci_local, app_repo, aws, fleet, tree_wheel, gitlab_install)
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


# -- A file whose hash differs stops the job ------------------------------------------------------------------

def test_a_tampered_wheel_fails_the_job_before_anything_runs(
        gitlab_ci_local: str, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path,
        tree_wheel: BuiltWheel, dependency_wheels: Path, gitlab_install: GitlabInstall, tmp_path: Path) -> None:
    """Same file name, one module changed: code that would leave a mark if it ever ran."""
    marker = tmp_path / "tampered-code-ran"
    buffer = io.BytesIO()
    with zipfile.ZipFile(tree_wheel.path) as original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "deploy_actions/__init__.py":
                data += f"\nopen({str(marker)!r}, 'w').close()\n".encode()
            copy.writestr(info, data)
    wheels = wheel_folder(tmp_path / "tampered-wheels", dependency_wheels, tree_wheel.path, buffer.getvalue())
    install = gitlab_install.fresh(tmp_path, wheels)
    shutil.copy(EXAMPLES / "gitlab" / "package-revision.yml", user_repo / ".gitlab-ci.yml")
    commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "package-revision", tree_wheel)
    # What an earlier run left in this (reused) directory: the action never starts, so the template must empty it.
    stale = "S3_KEY=releases/api/earlier.zip\nUPLOADED=true\n"
    (user_repo / "deploy-actions.env").write_text(stale)

    result = pipeline(gitlab_ci_local, user_repo, aws, {"DEPLOY_BUCKET": bucket}, install, token=id_token())
    assert result.code != 0, result.output
    assert "FAIL  package-revision" in result.output
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.output, result.output
    assert tree_wheel.requirement.split("--hash=sha256:")[1] in result.output  # pip names the hash it expected
    assert "check-revision" not in result.output.split("FAIL  package-revision", 1)[1]
    assert not marker.exists(), "the tampered code ran"
    assert keys_in(aws, bucket) == [] and registered_keys(aws, application, bucket) == []
    assert installed_venvs(install.cache) == [] and not list(install.cache.glob("gitlab-venv-*"))
    assert (user_repo / "deploy-actions.env").read_text() == ""
    published = user_repo / ".gitlab-ci-local" / "artifacts" / "package-revision" / ".gitlab-ci-reports" / "dotenv"
    assert [p.read_text() for p in published.glob("*")] == [""]


# -- The dotenv report holds this run's outputs only, however the run ends ------------------------------------

STALE_PIPELINE = """\
stages: [deploy, report]
include:
  - project: org/deploy-actions
    ref: v1
    file: gitlab-templates/codedeploy-deploy.yml
    inputs:
      as: codedeploy-deploy
      environment: e2e
      application: $CODEDEPLOY_APPLICATION
      deployment-group: $CODEDEPLOY_DEPLOYMENT_GROUP
      revision: $REVISION
      timeout: $DEPLOY_TIMEOUT
report:
  stage: report
  when: always
  needs:
    - job: codedeploy-deploy
      artifacts: true
  script:
    - 'echo "outputs: deployment=[${DEPLOYMENT_ID:-}] status=[${STATUS:-}]"'
"""


def test_a_later_run_in_the_same_directory_reports_none_of_an_earlier_runs_outputs(
        gitlab_ci_local: str, aws: AwsEndpoint, aws_emulator: Emulator, user_repo: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    """The action empties the file first; when it never starts (a failed install), the template has already:
    see test_a_tampered_wheel_fails_the_job_before_anything_runs."""
    fleet = Fleet(aws_emulator, instances=1)
    revision = upload_revision(aws_emulator.client("s3"), fleet.out["bucket"], zip_revision(EXAMPLE_APP))
    (user_repo / ".gitlab-ci.yml").write_text(STALE_PIPELINE)
    commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "codedeploy-deploy", tree_wheel)
    variables = {**fleet.variables, "REVISION": json.dumps(revision), "DEPLOY_TIMEOUT": "5m"}
    dotenv = user_repo / "deploy-actions.env"  # a shell runner reuses the working directory
    published = user_repo / ".gitlab-ci-local" / "artifacts" / "codedeploy-deploy" / ".gitlab-ci-reports" / "dotenv"

    first = pipeline(gitlab_ci_local, user_repo, aws, variables, gitlab_install)
    assert first.code == 0, first.output
    deployment = re.search(r"outputs: deployment=\[(d-[A-Z0-9]{9})\] status=\[Succeeded\]", first.output)
    assert deployment, first.output
    assert f"DEPLOYMENT_ID={deployment.group(1)}" in dotenv.read_text()
    assert [f"DEPLOYMENT_ID={deployment.group(1)}" in p.read_text() for p in published.glob("*")] == [True]

    # Bad input: the action stops before any AWS call, its outputs unknown.
    second = pipeline(gitlab_ci_local, user_repo, aws, {**variables, "DEPLOY_TIMEOUT": "30"}, gitlab_install)
    assert "FAIL  codedeploy-deploy" in second.output and "PASS  report" in second.output, second.output
    assert "outputs: deployment=[] status=[]" in second.output, second.output
    assert dotenv.read_text() == "" and [p.read_text() for p in published.glob("*")] == [""]


# -- Inputs arrive as written; one that is just $NAME or ${NAME} takes that variable's value ------------------

AS_WRITTEN_PIPELINE = """\
stages: [package]
include:
  - project: org/deploy-actions
    ref: v1
    file: gitlab-templates/package-revision.yml
    inputs:
      as: package-revision
      stage: package
      source: deploy
      bucket: $DEPLOY_BUCKET
      key-prefix: ${KEY_PREFIX}
      application: api
      description: 'say "hi" to $CI_PROJECT_NAME'
      deployment-info: |
        GREETING=say "hi" to $CI_PROJECT_NAME, ${CI_COMMIT_SHA} and $$HOME
"""


def test_inputs_arrive_as_written_and_a_lone_variable_takes_its_value(
        gitlab_ci_local: str, aws: AwsEndpoint, bucket: str, application: str, user_repo: Path,
        tree_wheel: BuiltWheel, gitlab_install: GitlabInstall) -> None:
    (user_repo / ".gitlab-ci.yml").write_text(AS_WRITTEN_PIPELINE)
    commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "package-revision", tree_wheel)

    result = pipeline(gitlab_ci_local, user_repo, aws, {"DEPLOY_BUCKET": bucket, "KEY_PREFIX": "as/written"},
                      gitlab_install)
    assert result.code == 0, result.output
    (key,) = registered_keys(aws, application, bucket)  # bucket: $DEPLOY_BUCKET and ${KEY_PREFIX} took values
    assert key.startswith("as/written/")
    codedeploy = aws.client("codedeploy")
    (revision,) = [r for r in codedeploy.list_application_revisions(applicationName=application)["revisions"]
                   if r["s3Location"]["bucket"] == bucket]
    registered = codedeploy.get_application_revision(applicationName=application, revision=revision)
    assert registered["revisionInfo"]["description"] == 'say "hi" to $CI_PROJECT_NAME'

    body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        info = bundle.read("deployment-info.env").decode()
    assert """GREETING='say "hi" to $CI_PROJECT_NAME, ${CI_COMMIT_SHA} and $$HOME'""" in info, info


# -- GitLab conventions: the catalog's templates/, job keywords as inputs, one job per include, stage order -----

def test_the_catalog_finds_each_component_under_templates_with_the_same_text_as_gitlab_templates() -> None:
    """`include: component:` and the CI/CD catalog look only under templates/; gitlab-templates/ stays for
    `include: project: ... file:` (docs/decisions/0005)."""
    root = EXAMPLES.parent
    for name in all_actions():
        catalog = root / "templates" / f"{name}.yml"
        assert catalog.is_file(), f"{catalog} missing: the catalog and include: component: cannot find {name}"
        assert catalog.read_text() == (root / "gitlab-templates" / f"{name}.yml").read_text()
    for example in (EXAMPLES / "gitlab").glob("*.yml"):
        assert "component: $CI_SERVER_FQDN/org/deploy-actions/" in example.read_text(), example


def preview(gitlab_ci_local: str, repo: Path, pipeline_text: str, wheel: BuiltWheel,
            variables: dict[str, str] | None = None) -> Run:
    """gitlab-ci-local's --preview: the pipeline after includes and inputs, as GitLab would create it."""
    (repo / ".gitlab-ci.yml").write_text(pipeline_text)
    commit_all(repo)
    for name in all_actions():
        serve_component(repo, "org/deploy-actions", "v1", name, wheel)
    argv = [gitlab_ci_local, "--preview"]
    for name, value in (variables or {}).items():
        argv += ["--variable", f"{name}={value}"]
    return run(argv, cwd=repo, env=host_env(), timeout=120)


def yaml_documents(output: str) -> dict[str, Any]:
    """The pipeline --preview prints after its log lines (from the first `---` on), parsed."""
    _, found, text = output.partition("\n---\n")
    assert found, output
    document: dict[str, Any] = YAML(typ="safe").load(text)
    return document


def variable(job: dict[str, Any], name: str) -> Any:
    """A job variable's value, written plain or as {value: ..., expand: false} (--preview flattens the latter)."""
    found = job["variables"][name]
    return found["value"] if isinstance(found, dict) else found


TWO_ENVIRONMENTS = """\
stages: [deploy]
include:
  - component: $CI_SERVER_FQDN/org/deploy-actions/codedeploy-deploy@v1
    inputs:
      as: deploy-staging
      environment: staging
      environment-url: https://staging.example.com
      resource-group: staging
      application: web
      deployment-group: staging
      revision: $REVISION
  - component: $CI_SERVER_FQDN/org/deploy-actions/codedeploy-deploy@v1
    inputs:
      as: deploy-production
      environment: production
      application: web
      deployment-group: production
      revision: $REVISION
"""


def test_component_inputs_set_the_jobs_environment_url_and_resource_group_and_empty_ones_stay_valid(
        gitlab_ci_local: str, user_repo: Path, tree_wheel: BuiltWheel) -> None:
    result = preview(gitlab_ci_local, user_repo, TWO_ENVIRONMENTS, tree_wheel)
    assert result.code == 0, result.output
    jobs = yaml_documents(result.output)
    staging, production = jobs["deploy-staging"], jobs["deploy-production"]
    assert staging["environment"] == {"name": "staging", "url": "$DEPLOY_ACTIONS_ENVIRONMENT_URL"}
    assert staging["variables"]["DEPLOY_ACTIONS_ENVIRONMENT_URL"] == "https://staging.example.com"
    assert staging["resource_group"] == "staging"
    assert variable(staging, "INPUT_DEPLOYMENT_GROUP") == "staging"
    # Two includes, two jobs: nothing merged. Unset inputs render valid, inert values.
    assert production["environment"]["name"] == "production"
    assert variable(production, "INPUT_DEPLOYMENT_GROUP") == "production"
    assert production["variables"]["DEPLOY_ACTIONS_ENVIRONMENT_URL"] == ""
    assert production["resource_group"] == ""
    assert "needs" not in production, "no needs: stage order decides when a deployment starts"


def test_including_a_component_twice_without_as_fails_loudly_instead_of_merging_the_jobs(
        gitlab_ci_local: str, user_repo: Path, tree_wheel: BuiltWheel) -> None:
    unnamed = re.sub(r"      as: deploy-\w+\n", "", TWO_ENVIRONMENTS)
    assert "as:" not in unnamed
    result = preview(gitlab_ci_local, user_repo, unnamed, tree_wheel)
    assert result.code != 0, result.output
    assert "`as` input: required value has not been provided" in result.output, result.output


def test_a_deployment_never_starts_after_a_failed_job_of_an_earlier_stage(
        gitlab_ci_local: str, aws: AwsEndpoint, fleet: Fleet, app_repo: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    """The codedeploy-deploy example with a user's test job in the package stage that fails: the package job
    passes, and the deployment must not run (a `needs: [package-revision]` would start it anyway)."""
    example = (EXAMPLES / "gitlab" / "codedeploy-deploy.yml").read_text()
    failing_test = "\nunit-tests:\n  stage: package\n  script:\n    - sleep 5; echo tests failed; exit 1\n"
    (app_repo / ".gitlab-ci.yml").write_text(example + failing_test)
    commit_all(app_repo)
    for name in ("package-revision", "codedeploy-deploy"):
        serve_component(app_repo, "org/deploy-actions", "v1", name, tree_wheel)

    result = pipeline(gitlab_ci_local, app_repo, aws, fleet.variables, gitlab_install, token=id_token())
    assert result.code != 0, result.output
    assert "FAIL  unit-tests" in result.output and "PASS  package-revision" in result.output, result.output
    assert "codedeploy-deploy $" not in result.output and "Created deployment" not in result.output, result.output
    started = fleet.codedeploy.list_deployments(applicationName=fleet.out["application"],
                                                deploymentGroupName=fleet.out["deployment_group"])["deployments"]
    assert started == [], "a deployment started after a failed earlier stage"


RUN_TIME_CHOICE = """\
stages: [deploy, report]
include:
  - component: $CI_SERVER_FQDN/org/deploy-actions/codedeploy-deploy@v1
    inputs:
      as: deploy-e2e
      environment: e2e
      application: $CODEDEPLOY_APPLICATION
      deployment-group: $CODEDEPLOY_DEPLOYMENT_GROUP
      revision: $REVISION
deploy-e2e:
  variables:
    INPUT_WAIT: $DEPLOY_WAIT
report:
  stage: report
  script:
    - 'echo "outputs: deployment=[${DEPLOYMENT_ID:-}] status=[${STATUS:-}]"'
"""


def test_a_boolean_input_decided_at_run_time_goes_through_the_jobs_variable(
        gitlab_ci_local: str, aws: AwsEndpoint, aws_emulator: Emulator, user_repo: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    """`wait: $DEPLOY_WAIT` is refused when the pipeline is created (a boolean input); the job's INPUT_WAIT,
    expanded when the job runs, is the documented route (docs/decisions/0005)."""
    fleet = Fleet(aws_emulator, instances=1)
    revision = upload_revision(aws_emulator.client("s3"), fleet.out["bucket"], zip_revision(EXAMPLE_APP))
    (user_repo / ".gitlab-ci.yml").write_text(RUN_TIME_CHOICE)
    commit_all(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "codedeploy-deploy", tree_wheel)
    variables = {**fleet.variables, "REVISION": json.dumps(revision), "DEPLOY_WAIT": "false"}

    result = pipeline(gitlab_ci_local, user_repo, aws, variables, gitlab_install)
    assert result.code == 0, result.output
    found = re.search(r"outputs: deployment=\[(d-[A-Z0-9]{9})\] status=\[(\w+)\]", result.output)
    assert found, result.output
    assert found.group(2) != "Succeeded", "wait: false returns once the deployment is created"
    assert "ValidateService ✔" not in result.output, "wait: false does not follow the deployment"
    fleet.wait(found.group(1))

    typed = RUN_TIME_CHOICE.replace("      revision: $REVISION\n",
                                    "      revision: $REVISION\n      wait: $DEPLOY_WAIT\n")
    refused = preview(gitlab_ci_local, user_repo, typed, tree_wheel)
    assert refused.code != 0 and "`wait` input: provided value is not a boolean" in refused.output, refused.output
