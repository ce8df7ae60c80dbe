"""codedeploy-deploy rejects bad input with exit 2 before any CreateDeployment (over HTTP)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import AwsEndpoint


@pytest.fixture
def group(aws: AwsEndpoint) -> tuple[str, str, str]:
    cd, s3 = aws.client("codedeploy"), aws.client("s3")
    app, name, bucket = f"app-{uuid.uuid4().hex[:8]}", "prod", f"rev-{uuid.uuid4().hex[:8]}"
    cd.create_application(applicationName=app, computePlatform="Server")
    cd.create_deployment_group(applicationName=app, deploymentGroupName=name,
                               serviceRoleArn="arn:aws:iam::123456789012:role/CodeDeploy",
                               ec2TagFilters=[{"Key": "app", "Value": app, "Type": "KEY_AND_VALUE"}])
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="app.zip", Body=b"PK\x05\x06" + b"\x00" * 18)
    return app, name, bucket


def deployments(aws: AwsEndpoint, app: str) -> list[str]:
    cd = aws.client("codedeploy")
    return list(cd.list_deployments(applicationName=app, deploymentGroupName="prod").get("deployments", []))


@pytest.mark.parametrize(("override", "message"), [
    ({"--application": "nope"}, "input 'application' = 'nope': no such CodeDeploy application"),
    ({"--deployment-group": "staging"}, "input 'deployment-group' = 'staging': no such deployment group"),
    ({"--revision": "s3://{bucket}/missing.zip"}, "no such object in S3; run package-revision first"),
    ({"--s3-etag": "0000"}, "input 's3-etag' = '0000': the object's ETag is"),
    ({"--timeout": "ten minutes"}, "input 'timeout' = 'ten minutes': expected a duration"),
    ({"--revision": "{\"revisionType\": 1}"}, "revisionType must be S3 or AppSpecContent"),
    ({"--mode": "stop"}, "input 'deployment-id' = (not set): mode: stop needs the deployment to stop"),
    ({"--appspec": "appspec.yml"}, "input 'appspec' = 'appspec.yml': give either revision or appspec, not both"),
    ({"--mode": "rollback"}, "mode: rollback redeploys the previous successful revision; remove revision"),
    ({"--if-active": "queue"}, "input 'if-active' = 'queue'"),
    ({"--revision": "s3://{bucket}/app.rar"}, "input 'revision'"),
    ({"--revision": "s3://{bucket}/app.zip?versionId=bogus"}, "input 's3-version' = 'bogus': S3 has no such version"),
    ({"--s3-version": "bogus"}, "input 's3-version' = 'bogus': S3 has no such version"),
    ({"--revision": "s3://Bad_Bucket/app.zip"}, "not a valid S3 bucket name"),
    ({"--revision": '{"revisionType": "S3", "s3Location": {"bucket": "{bucket}", "key": 7}}'},
     "s3Location.key must be a string"),
    ({"--region": "us east 1"}, "input 'region' = 'us east 1': expected an AWS region such as us-east-1"),
])
def test_bad_input_exits_2_before_create_deployment(run_cli, aws, group, override, message) -> None:  # type: ignore[no-untyped-def]
    app, name, bucket = group
    args = {"--application": app, "--deployment-group": name, "--revision": f"s3://{bucket}/app.zip"}
    args.update({k: v.replace("{bucket}", bucket) for k, v in override.items()})
    flat = [item for pair in args.items() for item in pair]
    result = run_cli("codedeploy-deploy", *flat, env=aws.env)
    assert result.code == 2, result.log
    assert message in result.log
    assert deployments(aws, app) == []


def test_a_version_in_the_url_is_the_version_deployed(run_cli, aws, group) -> None:  # type: ignore[no-untyped-def]
    app, name, bucket = group
    s3 = aws.client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="v.zip", Body=b"PK\x05\x06" + b"\x00" * 18)["VersionId"]
    s3.put_object(Bucket=bucket, Key="v.zip", Body=b"PK\x05\x06" + b"\x01" * 18)
    result = run_cli("codedeploy-deploy", "--application", app, "--deployment-group", name, "--wait", "false",
                     "--revision", f"s3://{bucket}/v.zip?versionId={first}", env=aws.env)
    assert result.code == 0, result.log
    info = aws.client("codedeploy").get_deployment(deploymentId=result.outputs["deployment-id"])["deploymentInfo"]
    assert info["revision"]["s3Location"]["version"] == first


def test_a_bad_region_in_the_environment_is_named(run_cli, aws, group) -> None:  # type: ignore[no-untyped-def]
    app, name, bucket = group
    result = run_cli("codedeploy-deploy", "--application", app, "--deployment-group", name,
                     "--revision", f"s3://{bucket}/app.zip", env={**aws.env, "AWS_REGION": "us east 1"})
    assert result.code == 2 and "from AWS_REGION or AWS_DEFAULT_REGION" in result.log, result.log
    assert deployments(aws, app) == []


@pytest.mark.parametrize("mode", ["stop", "continue"])
def test_stop_or_continue_of_an_unknown_deployment_changes_nothing(run_cli, aws, group, mode) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = group
    result = run_cli("codedeploy-deploy", "--application", app, "--mode", mode, "--deployment-id", "d-NOSUCH123",
                     env=aws.env)
    assert result.code == 2, result.log
    assert "input 'deployment-id' = 'd-NOSUCH123': no such deployment" in result.log
    assert "Stop requested" not in result.log


def test_a_deployment_of_another_application_is_refused(run_cli, aws, group) -> None:  # type: ignore[no-untyped-def]
    app, name, bucket = group
    other = run_cli("codedeploy-deploy", "--application", app, "--deployment-group", name, "--wait", "false",
                    "--revision", f"s3://{bucket}/app.zip", env=aws.env)
    assert other.code == 0, other.log
    aws.client("codedeploy").create_application(applicationName=f"{app}-other", computePlatform="Server")
    result = run_cli("codedeploy-deploy", "--application", f"{app}-other", "--mode", "stop", "--deployment-id",
                     other.outputs["deployment-id"], env=aws.env)
    assert result.code == 2 and f"it belongs to application {app}" in result.log, result.log
    info = aws.client("codedeploy").get_deployment(deploymentId=other.outputs["deployment-id"])["deploymentInfo"]
    assert info["status"] != "Stopped"
