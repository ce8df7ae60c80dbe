"""The GitLab front door under gitlab-ci-local: workflows-examples/gitlab as a user's .gitlab-ci.yml.

The example includes `project: org/deploy-actions, ref: v1, file: gitlab-templates/package-revision.yml`
as a user would. gitlab-ci-local reads project includes from its include cache before it tries to
fetch them; the test puts this tree's template there, the way a GitLab instance would serve the tag.
Jobs run on this host (`--force-shell-executor`: the template names an image, which a shell runner
ignores) with `.venv/bin` on PATH, so the job finds `deploy-actions` without installing it.
"""

from __future__ import annotations

import io
import re
import shutil
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.conftest import AwsEndpoint
from tests.e2e.conftest import (
    EXAMPLES,
    ROOT,
    SCRIPTS,
    USER_REMOTE,
    Run,
    commit_all,
    host_env,
    registered_keys,
    revision_lines,
    run,
    stored_revision,
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
    summary = (artifacts / "deploy-actions-summary.md").read_text()
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
