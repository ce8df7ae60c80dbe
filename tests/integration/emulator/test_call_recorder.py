"""The emulator's call recorder: each API call over HTTP with the IAM actions AWS would authorize it with, and
the deploy-actions action named in its user agent."""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from deploy_actions.core.aws import make_clients
from deploy_actions.core.inputs import AwsInputs
from deploy_actions.core.platform import Reporter
from deploy_actions.emulator import Emulator
from deploy_actions.emulator.core.calls import Call
from deploy_actions.emulator.core.defaults import DUMMY_CREDENTIALS
from tests.integration.emulator.ecr_registry import RegistryClient, digest_of, need_registry_binary


def client(emulator: Emulator, service: str, marker: str) -> Any:
    """A plain boto3 client whose user agent carries `marker`, so a test finds its own calls."""
    return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name=emulator.region,
                        config=Config(user_agent_extra=marker), **DUMMY_CREDENTIALS)


def mine(calls: list[Call], marker: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.service, c.operation, c.iam) for c in calls if marker in c.user_agent]


def test_s3_calls_are_named_by_the_iam_actions_s3_checks(emulator: Emulator, unique: str, tmp_path: Path) -> None:
    s3 = client(emulator, "s3", f"test/{unique}")
    bucket = f"recorded-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (6 * 1024 * 1024))
    with emulator.calls.watching() as calls:
        s3.head_bucket(Bucket=bucket)
        version = s3.put_object(Bucket=bucket, Key="a.zip", Body=b"zip")["VersionId"]
        s3.head_object(Bucket=bucket, Key="a.zip")
        s3.head_object(Bucket=bucket, Key="a.zip", VersionId=version)
        s3.get_object(Bucket=bucket, Key="a.zip")
        s3.upload_file(str(big), bucket, "big.bin", Config=TransferConfig(multipart_threshold=5 * 1024 * 1024))
        s3.list_objects_v2(Bucket=bucket)
        recorded = mine(calls(), unique)
    assert recorded == [
        ("s3", "HeadBucket", ("s3:ListBucket",)),
        ("s3", "PutObject", ("s3:PutObject",)),
        ("s3", "HeadObject", ("s3:GetObject",)),
        ("s3", "HeadObject", ("s3:GetObjectVersion",)),
        ("s3", "GetObject", ("s3:GetObject",)),
        ("s3", "CreateMultipartUpload", ("s3:PutObject",)),
        ("s3", "UploadPart", ("s3:PutObject",)),  # one 8 MiB part
        ("s3", "CompleteMultipartUpload", ("s3:PutObject",)),
        ("s3", "ListObjectsV2", ("s3:ListBucket",)),
    ]


def test_every_protocol_is_read_and_implied_actions_are_added(emulator: Emulator, unique: str) -> None:
    marker = f"test/{unique}"
    with emulator.calls.watching() as calls:
        client(emulator, "ecs", marker).register_task_definition(
            family=f"api-{unique}", taskRoleArn=f"arn:aws:iam::{emulator.account}:role/task",
            containerDefinitions=[{"name": "app", "image": "busybox", "memory": 64}], tags=[{"key": "k", "value": "v"}])
        client(emulator, "ecs", marker).register_task_definition(
            family=f"api-{unique}", containerDefinitions=[{"name": "app", "image": "busybox", "memory": 64}])
        client(emulator, "elbv2", marker).describe_load_balancers()  # query protocol
        client(emulator, "cloudwatch", marker).describe_alarms()  # Smithy RPC v2 CBOR
        client(emulator, "codedeploy", marker).list_applications()  # Smithy RPC v2 CBOR
        client(emulator, "logs", marker).describe_log_groups()  # JSON
        recorded = mine(calls(), unique)
    assert recorded == [
        ("ecs", "RegisterTaskDefinition", ("ecs:RegisterTaskDefinition", "iam:PassRole", "ecs:TagResource")),
        ("ecs", "RegisterTaskDefinition", ("ecs:RegisterTaskDefinition",)),
        ("elasticloadbalancing", "DescribeLoadBalancers", ("elasticloadbalancing:DescribeLoadBalancers",)),
        ("cloudwatch", "DescribeAlarms", ("cloudwatch:DescribeAlarms",)),
        ("codedeploy", "ListApplications", ("codedeploy:ListApplications",)),
        ("logs", "DescribeLogGroups", ("logs:DescribeLogGroups",)),
    ]


def test_running_a_task_definition_with_roles_passes_them(emulator: Emulator, unique: str) -> None:
    ecs = client(emulator, "ecs", f"test/{unique}")
    ecs.register_task_definition(family=f"roles-{unique}", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 64}], executionRoleArn=f"arn:aws:iam::{emulator.account}:role/x")
    ecs.register_task_definition(family=f"plain-{unique}", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 64}])
    with emulator.calls.watching() as calls:
        for family in (f"roles-{unique}", f"plain-{unique}"):
            with pytest.raises(ClientError):  # no such cluster: the request is what counts
                ecs.run_task(cluster=f"none-{unique}", taskDefinition=family)
        recorded = mine(calls(), unique)
    assert recorded == [("ecs", "RunTask", ("ecs:RunTask", "iam:PassRole")), ("ecs", "RunTask", ("ecs:RunTask",))]


def test_the_action_is_read_from_the_user_agent_and_the_emulators_own_calls_are_left_out(
        emulator: Emulator, unique: str) -> None:
    env = emulator.env()
    clients = make_clients(AwsInputs(), Reporter(io.StringIO()), env, action="switch-listener")
    with emulator.calls.watching() as calls:
        clients.client("elbv2").describe_target_groups()
        clients.client("cloudwatch", polling=True).describe_alarms()
        emulator.internal_client("elbv2").describe_target_groups()
        made = calls()
    assert [(c.operation, c.action) for c in made] == [("DescribeTargetGroups", "switch-listener"),
                                                        ("DescribeAlarms", "switch-listener")]
    assert "deploy-actions/" in made[0].user_agent and "action/switch-listener" in made[0].user_agent


def test_an_unsigned_web_identity_call_needs_no_policy_action(emulator: Emulator) -> None:
    sts = boto3.client("sts", endpoint_url=emulator.endpoint_url, region_name=emulator.region,
                       config=Config(user_agent_extra="test/web-identity"), **DUMMY_CREDENTIALS)  # sent unsigned
    with emulator.calls.watching() as calls:
        sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{emulator.account}:role/deploy",
                                          RoleSessionName="deploy", WebIdentityToken="a.b.c")
        recorded = mine(calls(), "test/web-identity")
    assert recorded == [("sts", "AssumeRoleWithWebIdentity", ())]  # the role's trust policy decides


def test_the_control_api_starts_lists_and_forgets(emulator: Emulator, unique: str) -> None:
    def control(method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{emulator.endpoint_url}/_emulator/calls", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return dict(json.loads(answer.read()))

    was = emulator.calls.recording
    try:
        assert control("POST", {"record": True})["recording"] is True
        client(emulator, "codedeploy", f"test/{unique}").list_applications()
        listed = [c for c in control("GET")["calls"] if unique in c["user_agent"]]
        assert [(c["operation"], c["iam"], c["action"]) for c in listed] == [
            ("ListApplications", ["codedeploy:ListApplications"], "")]
        if not was:  # forgetting would drop a recording the session asked for
            assert control("DELETE")["calls"] == []
            assert control("POST", {"record": False})["recording"] is False
            client(emulator, "codedeploy", f"test/{unique}").list_applications()
            assert control("GET")["calls"] == []
    finally:
        emulator.calls.recording = was


@pytest.mark.e2e
def test_registry_requests_are_named_by_the_ecr_actions_a_push_needs(emulator: Emulator, unique: str) -> None:
    need_registry_binary()
    ecr = emulator.client("ecr")
    name = f"recorded-{unique}"
    ecr.create_repository(repositoryName=name)
    registry = RegistryClient(ecr)
    layer = b"layer"
    with emulator.calls.watching() as calls:
        registry.request("HEAD", f"/v2/{name}/blobs/{digest_of(layer)}")
        status, headers, _ = registry.request("POST", f"/v2/{name}/blobs/uploads/")
        location = headers["location"].split("://", 1)[-1].split("/", 1)[-1]
        registry.request("PUT", f"/{location}{'&' if '?' in location else '?'}digest={digest_of(layer)}", layer)
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                          "digest": digest_of(layer), "size": len(layer)},
                               "layers": []}).encode()
        registry.request("PUT", f"/v2/{name}/manifests/v1", manifest,
                         {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        registry.request("GET", f"/v2/{name}/manifests/v1",
                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        recorded = [(c.operation, c.iam) for c in calls() if c.service == "ecr" and not c.user_agent.startswith("Boto")]
    assert status == 202
    assert recorded == [("CheckBlob", ("ecr:BatchCheckLayerAvailability",)),
                        ("InitiateUpload", ("ecr:InitiateLayerUpload",)),
                        ("CompleteUpload", ("ecr:CompleteLayerUpload",)),
                        ("PutManifest", ("ecr:PutImage",)),
                        ("GetManifest", ("ecr:BatchGetImage",))]
