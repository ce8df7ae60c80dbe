"""Throttling: a fraction of API calls answered with each protocol's throttling error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.emulator.conftest import wait_for


def client(emulator: Any, service: str, attempts: int) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name=emulator.region,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))


def outcomes(call: Any, times: int, **kwargs: Any) -> list[str]:
    seen = []
    for _ in range(times):
        try:
            call(**kwargs)
            seen.append("ok")
        except ClientError as error:
            seen.append(str(error.response["Error"]["Code"]))
    return seen


def test_half_of_the_calls_are_throttled_without_retries(emulator: Any, unique: str) -> None:
    codedeploy = client(emulator, "codedeploy", attempts=1)
    codedeploy.create_application(applicationName=unique)
    emulator.faults.throttle(0.5, service="codedeploy", operation="GetApplication")
    seen = outcomes(codedeploy.get_application, 10, applicationName=unique)
    assert seen == ["ok", "ThrottlingException"] * 5
    assert codedeploy.list_applications()["applications"]  # other operations are not throttled


def test_retries_get_through_throttling(emulator: Any, unique: str) -> None:
    codedeploy = client(emulator, "codedeploy", attempts=3)
    codedeploy.create_application(applicationName=unique)
    emulator.faults.throttle(0.5, service="codedeploy", operation="GetApplication")
    answers = [codedeploy.get_application(applicationName=unique) for _ in range(4)]
    assert all(a["application"]["applicationName"] == unique for a in answers)
    assert sum(a["ResponseMetadata"]["RetryAttempts"] for a in answers) >= 2


@pytest.mark.parametrize(("service", "operation", "code"), [
    ("elasticloadbalancing", "DescribeLoadBalancers", "Throttling"),
    ("autoscaling", "DescribeAutoScalingGroups", "Throttling"),
    ("s3", "GET", "SlowDown"),
])
def test_each_protocol_gets_its_own_throttling_error(emulator: Any, service: str, operation: str, code: str) -> None:
    emulator.faults.throttle(1.0, service=service, operation=operation)
    calls = {
        "elasticloadbalancing": lambda: client(emulator, "elbv2", 1).describe_load_balancers(),
        "autoscaling": lambda: client(emulator, "autoscaling", 1).describe_auto_scaling_groups(),
        "s3": lambda: client(emulator, "s3", 1).list_buckets(),
    }
    with pytest.raises(ClientError) as raised:
        calls[service]()
    assert raised.value.response["Error"]["Code"] == code


def test_fault_instance_n_is_the_nth_instance_that_status_lists(environment: Any, emulator: Any) -> None:
    env = environment("ec2-rolling", instances=3)
    group = env.emulator.client("codedeploy").get_deployment_group(
        applicationName=env["application"], deploymentGroupName=env["deployment_group"])["deploymentGroupInfo"]
    (asg,) = [g["name"] for g in group["autoScalingGroups"]]
    members = {i["InstanceId"] for i in env.emulator.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[asg])["AutoScalingGroups"][0]["Instances"]}
    # The control loop gives each launched instance its sandbox; on a busy machine that can lag the seeding.
    def all_three_listed() -> list[str] | None:
        ids = [i["id"] for i in emulator.status()["instances"] if i["id"] in members]
        return ids if len(ids) == 3 else None

    listed = wait_for(all_three_listed)
    emulator.faults.fail_hook("ValidateService", instance=2)
    info = env.deploy(env.revision("2"))
    assert info["status"] == "Failed"
    targets = env.codedeploy.batch_get_deployment_targets(
        deploymentId=info["deploymentId"], targetIds=listed)["deploymentTargets"]
    failed = [t["instanceTarget"]["targetId"].rsplit("/", 1)[-1] for t in targets
              if t["instanceTarget"]["status"] == "Failed"]
    assert failed == [listed[1]]
