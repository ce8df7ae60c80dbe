"""package-revision against S3 (and CodeDeploy) over HTTP."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.conftest import AwsEndpoint, CliResult


@pytest.fixture
def bucket(aws: AwsEndpoint) -> str:
    name = f"revisions-{uuid.uuid4().hex[:10]}"
    aws.client("s3").create_bucket(Bucket=name)
    return name


def objects(aws: AwsEndpoint, bucket: str) -> list[str]:
    return [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def package(run_cli, aws: AwsEndpoint, tree: Path, *args: str, **env: str) -> CliResult:  # type: ignore[no-untyped-def]
    return run_cli("package-revision", "--source", str(tree), "--output", str(tree.parent / "out.zip"), *args,
                   env={**aws.env, "SOURCE_DATE_EPOCH": "1700000000", **env})


def test_uploads_content_addressed_and_reports_every_output(run_cli, aws, bucket, revision_tree) -> None:  # type: ignore[no-untyped-def]
    result = package(run_cli, aws, revision_tree, "--bucket", bucket, "--key-prefix", "releases/api",
                     GITHUB_SHA="0123abcd", GITHUB_REPOSITORY="acme/api")
    assert result.code == 0, result.stdout
    out = result.outputs
    archive = Path(out["bundle-path"])
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert out["sha256"] == sha
    assert re.fullmatch(r"releases/api/app-[0-9a-f]{16}\.zip", out["s3-key"])  # the digest of the files
    assert out["uploaded"] == "true" and out["bundle-type"] == "zip" and out["s3-bucket"] == bucket
    head = aws.client("s3").head_object(Bucket=bucket, Key=out["s3-key"])
    assert head["Metadata"]["sha256"] == sha and out["s3-key"].endswith(f"-{head['Metadata']['manifest'][:16]}.zip")
    assert head["ETag"].strip('"') == out["s3-etag"]
    body = aws.client("s3").get_object(Bucket=bucket, Key=out["s3-key"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert "COMMIT_SHA='0123abcd'" in bundle.read("deployment-info.env").decode()
        assert {"appspec.yml", "scripts/application_start.sh", "docker-compose.yml"} <= set(bundle.namelist())
    import json

    assert json.loads(out["revision"]) == {"revisionType": "S3", "s3Location": {
        "bucket": bucket, "key": out["s3-key"], "bundleType": "zip", "eTag": out["s3-etag"]}}


def test_second_run_with_same_content_uploads_nothing(run_cli, aws, bucket, revision_tree) -> None:  # type: ignore[no-untyped-def]
    first = package(run_cli, aws, revision_tree, "--bucket", bucket)
    os.utime(revision_tree / "README.txt", (2_000_000_000, 2_000_000_000))  # mtimes do not matter
    second = package(run_cli, aws, revision_tree, "--bucket", bucket)
    assert second.code == 0
    assert second.outputs["uploaded"] == "false"
    assert second.outputs["s3-key"] == first.outputs["s3-key"]
    assert second.outputs["s3-etag"] == first.outputs["s3-etag"]
    assert second.outputs["sha256"] == first.outputs["sha256"]
    assert second.outputs["bundle-path"] == ""  # known unchanged from the files' digest: nothing was built
    assert "was built from the same files" in second.log
    (revision_tree / "README.txt").write_text("changed\n")
    third = package(run_cli, aws, revision_tree, "--bucket", bucket)
    assert third.outputs["uploaded"] == "true" and third.outputs["s3-key"] != first.outputs["s3-key"]
    assert len(objects(aws, bucket)) == 2


def test_versioned_bucket_reports_the_version(run_cli, aws, bucket, revision_tree) -> None:  # type: ignore[no-untyped-def]
    aws.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    result = package(run_cli, aws, revision_tree, "--bucket", bucket, "--bundle-type", "tgz")
    assert result.code == 0
    versions = aws.client("s3").list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == [result.outputs["s3-version"]]
    assert result.outputs["s3-key"].endswith(".tar.gz")


def test_large_bundles_go_up_in_parts(run_cli, aws, bucket, revision_tree) -> None:  # type: ignore[no-untyped-def]
    (revision_tree / "blob.bin").write_bytes(os.urandom(70 * 1024 * 1024))
    result = package(run_cli, aws, revision_tree, "--bucket", bucket)
    assert result.code == 0
    assert result.outputs["s3-etag"].endswith("-5")  # 16 MiB parts: a multipart upload's ETag


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (["--source", "/nonexistent/app"], {}, "input 'source' = '/nonexistent/app': not a directory"),
        (["--appspec", "deploy/appspec.yml"], {}, "input 'appspec' = 'deploy/appspec.yml': no file at"),
        ([], {"appspec.yml": "version: 0.0\nos: linux\nhooks: [\n"}, "appspec.yml:4: malformed YAML"),
        ([], {"appspec.yml": "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/nope.sh\n"},
         "appspec.yml:5: hook script 'scripts/nope.sh' (BeforeInstall) is not in the bundle"),
        (["--bundle-type", "rar"], {}, "input 'bundle-type' = 'rar': must be one of: zip, tgz, tar"),
        (["--deployment-info", "not a pair"], {}, "input 'deployment-info' (value not shown): line 1 has no '='"),
        (["--bucket", "Bad_Bucket"], {}, "input 'bucket' = 'Bad_Bucket': not a valid S3 bucket name"),
        (["--region", "us east 1"], {}, "input 'region' = 'us east 1': expected an AWS region"),
    ],
)
def test_bad_input_exits_2_and_uploads_nothing(run_cli, aws, bucket, revision_tree, args, files, message) -> None:  # type: ignore[no-untyped-def]
    for name, text in files.items():
        (revision_tree / name).write_text(text)
    result = package(run_cli, aws, revision_tree, "--bucket", bucket, *args)
    assert result.code == 2
    assert message in result.log
    assert objects(aws, bucket) == []


def test_missing_bucket_is_bad_input(run_cli, aws, revision_tree) -> None:  # type: ignore[no-untyped-def]
    result = package(run_cli, aws, revision_tree, "--bucket", "no-such-bucket-here")
    assert result.code == 2
    assert "input 'bucket' = 'no-such-bucket-here': no such bucket in this account/region" in result.log


def test_summary_is_written_and_escapes_nothing_secret(run_cli, aws, bucket, revision_tree, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Real secrets where they could leak, every debug switch on, on GitHub and in a plain terminal.
    secrets = {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-K7MDENG-bPxRfiCYsecretKEY1",
               "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEJr-session-token-secret-2", "DB_PASSWORD": "db-pa55word-secret-3"}
    debug = {"RUNNER_DEBUG": "1", "ACTIONS_STEP_DEBUG": "true", "DEPLOY_ACTIONS_DEBUG": "1"}
    for name, platform in (("github", {"GITHUB_ACTIONS": "true"}), ("terminal", {})):
        files = {key: tmp_path / f"{name}-{key.lower()}" for key in ("GITHUB_OUTPUT", "DEPLOY_ACTIONS_DOTENV",
                                                                   "GITHUB_STEP_SUMMARY", "DEPLOY_ACTIONS_SUMMARY")}
        result = package(run_cli, aws, revision_tree, "--bucket", bucket, "--deployment-info",
                         f"DB_PASSWORD={secrets['DB_PASSWORD']}\nREGION=eu-west-1",
                         **{k: v for k, v in secrets.items() if k.startswith("AWS_")}, **debug, **platform,
                         **{key: str(path) for key, path in files.items()})
        assert result.code == 0, result.log
        summary = files["GITHUB_STEP_SUMMARY" if platform else "DEPLOY_ACTIONS_SUMMARY"].read_text()
        assert "### 📦 package-revision" in summary
        assert f"s3://{bucket}/{result.outputs['s3-key']}`" in summary
        # The one line that carries a secret on purpose is the runner's add-mask, which it never shows.
        log = "\n".join(line for line in result.log.splitlines() if not line.startswith("::add-mask::"))
        written = [log, result.stdout, summary] + [path.read_text() for path in files.values() if path.exists()]
        for key, secret in secrets.items():
            assert not [text for text in written if secret in text], f"{key} leaked on {name}"
        with zipfile.ZipFile(result.outputs["bundle-path"]) as bundle:  # where the value belongs
            assert f"DB_PASSWORD='{secrets['DB_PASSWORD']}'" in bundle.read("deployment-info.env").decode()


def test_a_malformed_pair_never_shows_a_secret_beside_it(run_cli, aws, bucket, revision_tree, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = "s3cr3t-hunter2-value"
    result = package(run_cli, aws, revision_tree, "--bucket", bucket, "--deployment-info",
                     f"DB_PASSWORD={secret}\nthis line is broken {secret}", GITHUB_ACTIONS="true", RUNNER_DEBUG="1")
    assert result.code == 2 and "line 2 has no '='" in result.log, result.log
    summary = (tmp_path / "summary.md").read_text()
    assert secret not in result.log + result.stdout + summary
    assert objects(aws, bucket) == []


@pytest.mark.parametrize("case", ["output under a file", "output is a directory", "appspec not UTF-8",
                                  "file name not UTF-8"])
def test_unusable_files_and_paths_exit_2_and_upload_nothing(run_cli, aws, bucket, revision_tree, tmp_path,  # type: ignore[no-untyped-def]
                                                           case) -> None:
    args: list[str] = []
    if case == "output under a file":
        (tmp_path / "a-file").write_text("x")
        args, expected = ["--output", str(tmp_path / "a-file" / "r.zip")], "input 'output' = "
    elif case == "output is a directory":
        args, expected = ["--output", str(tmp_path)], "is a directory"
    elif case == "appspec not UTF-8":
        (revision_tree / "appspec.yml").write_bytes(b"version: 0.0\nos: linux\n# caf\xe9\n")
        expected = "input 'appspec' = 'appspec.yml': is not UTF-8 text (byte 28)"
    else:
        (revision_tree / os.fsdecode(b"caf\xe9.txt")).write_text("x")
        expected = "input 'source' = 'caf\\\\xe9.txt': a file name there is not UTF-8"
    result = package(run_cli, aws, revision_tree, "--bucket", bucket, *args)
    assert result.code == 2, result.log
    assert expected in result.log and "internal error" not in result.log
    assert objects(aws, bucket) == []


def test_a_rerun_of_the_same_commit_uploads_nothing_without_source_date_epoch(  # type: ignore[no-untyped-def]
        run_cli, aws, bucket, revision_tree) -> None:
    git = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@example.com", "GIT_COMMITTER_DATE": "2026-05-06T07:08:09+00:00",
           "PATH": os.environ["PATH"]}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release"]):
        subprocess.run(["git", "-C", str(revision_tree), *args], check=True, env=git, capture_output=True)
    sha = subprocess.run(["git", "-C", str(revision_tree), "rev-parse", "HEAD"], check=True, capture_output=True,
                         text=True).stdout.strip()
    ci = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": sha, "GITHUB_WORKSPACE": str(revision_tree),
          "GITHUB_RUN_ID": "7", "SOURCE_DATE_EPOCH": ""}
    first = package(run_cli, aws, revision_tree, "--bucket", bucket, "--exclude", ".git/", **ci)
    second = package(run_cli, aws, revision_tree, "--bucket", bucket, **{**ci, "GITHUB_RUN_ATTEMPT": "2"})
    assert first.code == 0 and first.outputs["uploaded"] == "true", first.log
    assert second.code == 0 and second.outputs["uploaded"] == "false", second.log
    assert second.outputs["s3-key"] == first.outputs["s3-key"]
    body = aws.client("s3").get_object(Bucket=bucket, Key=first.outputs["s3-key"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        info = bundle.read("deployment-info.env").decode()
        assert "DEPLOYED_AT='2026-05-06T07:08:09Z'" in info and "COMMIT_MESSAGE='release'" in info
        assert {entry.date_time for entry in bundle.infolist()} == {(2026, 5, 6, 7, 8, 8)}  # zip: 2-second steps


def test_the_runs_own_dotenv_and_summary_stay_out_of_the_revision(run_cli, aws, bucket, revision_tree) -> None:  # type: ignore[no-untyped-def]
    """The GitLab components write both into the project directory, which is often the source."""
    dotenv, summary = revision_tree / "deploy-actions.env", revision_tree / "deploy-actions-summary-x.md"
    summary.write_text("an earlier job's summary\n")
    result = package(run_cli, aws, revision_tree, "--bucket", bucket, DEPLOY_ACTIONS_DOTENV=str(dotenv),
                     DEPLOY_ACTIONS_SUMMARY=str(summary))
    assert result.code == 0, result.log
    body = aws.client("s3").get_object(Bucket=bucket, Key=result.outputs["s3-key"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert {"deploy-actions.env", "deploy-actions-summary-x.md"}.isdisjoint(bundle.namelist())
    assert "S3_KEY=" in dotenv.read_text()
