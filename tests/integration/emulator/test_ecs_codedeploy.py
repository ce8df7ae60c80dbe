"""CodeDeploy ECS deployments (compute platform ECS) on the emulator: a replacement task set in the
other target group, test traffic first, the Ready wait answered by ContinueDeployment, production
traffic moved, the original task set deleted after the termination wait; a failing hook rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import load_scenario, seed
from tests.integration.emulator.conftest import answer, wait_for

APPSPEC = """version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "{task_definition}"
        LoadBalancerInfo:
          ContainerName: app-api
          ContainerPort: 8080
Hooks:
  - AfterAllowTestTraffic: "arn:aws:lambda:us-east-1:123456789012:function:smoke"
"""


class CodeDeployEcs:
    """The `ecs-codedeploy` scenario (seed 002's CodeDeploy path), seeded over HTTP."""

    def __init__(self, emulator: Emulator, prefix: str) -> None:
        self.out = out = seed(emulator.client, load_scenario("ecs-codedeploy"), prefix=prefix)
        self.ecs, self.codedeploy = emulator.client("ecs"), emulator.client("codedeploy")
        self.cluster, self.service, self.family = out["cluster"], out["service"], out["task_family"]
        self.application, self.group = out["application"], out["deployment_group"]
        self.production = emulator.listener_url(out["listener_arn"]) + "/"
        self.test = emulator.listener_url(out["test_listener_arn"]) + "/"
        wait_for(lambda: answer(self.production) == f"{self.family}:1", timeout=60)

    def deploy(self) -> str:
        containers = self.ecs.describe_task_definition(taskDefinition=self.out["task_definition_arn"])[
            "taskDefinition"]["containerDefinitions"]
        second = self.ecs.register_task_definition(
            family=self.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=containers)["taskDefinition"]["taskDefinitionArn"]
        content = APPSPEC.format(task_definition=second)
        return str(self.codedeploy.create_deployment(
            applicationName=self.application, deploymentGroupName=self.group,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}})["deploymentId"])

    def info(self, deployment_id: str) -> dict[str, Any]:
        return dict(self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"])

    def wait(self, deployment_id: str, *statuses: str) -> dict[str, Any]:
        return dict(wait_for(lambda: (i := self.info(deployment_id))["status"] in statuses and i, timeout=60))

    def task_sets(self) -> list[dict[str, Any]]:
        return list(self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"][0][
            "taskSets"])


@pytest.fixture
def codedeploy_ecs(emulator: Emulator, unique: str) -> Iterator[CodeDeployEcs]:
    env = CodeDeployEcs(emulator, f"t{unique}-")
    yield env
    env.ecs.delete_service(cluster=env.cluster, service=env.service, force=True)


def test_a_codedeploy_ecs_deployment_waits_ready_then_shifts(codedeploy_ecs: CodeDeployEcs) -> None:
    env = codedeploy_ecs
    deployment_id = env.deploy()

    ready = env.wait(deployment_id, "Ready", "Succeeded", "Failed", "Stopped")
    assert ready["status"] == "Ready"
    assert answer(env.test) == f"{env.family}:2" and answer(env.production) == f"{env.family}:1"
    target_id = f"{env.cluster}:{env.service}"
    target = env.codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=target_id)["deploymentTarget"]
    assert target["deploymentTargetType"] == "ECSTarget"
    events = {e["lifecycleEventName"]: e["status"] for e in target["ecsTarget"]["lifecycleEvents"]}
    assert events["Install"] == events["AllowTestTraffic"] == events["AfterAllowTestTraffic"] == "Succeeded"
    assert events["AllowTraffic"] == "Pending"
    assert {ts["taskSetLabel"] for ts in target["ecsTarget"]["taskSetsInfo"]} == {"Blue", "Green"}

    env.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    done = env.wait(deployment_id, "Succeeded", "Failed", "Stopped")

    assert done["status"] == "Succeeded", done.get("errorInformation")
    assert wait_for(lambda: answer(env.production) == f"{env.family}:2")
    [primary] = wait_for(lambda: len(sets := env.task_sets()) == 1 and sets)  # the original deleted
    assert (primary["status"], primary["externalId"]) == ("PRIMARY", deployment_id)
    with pytest.raises(env.ecs.exceptions.InvalidParameterException, match="Use AWS CodeDeploy"):
        env.ecs.update_service(cluster=env.cluster, service=env.service, taskDefinition=primary["taskDefinition"])


def test_a_failing_hook_rolls_the_codedeploy_ecs_deployment_back(codedeploy_ecs: CodeDeployEcs,
                                                                 emulator: Emulator) -> None:
    env = codedeploy_ecs
    emulator.faults.fail_hook("AfterAllowTestTraffic")
    deployment_id = env.deploy()

    failed = env.wait(deployment_id, "Failed", "Succeeded", "Stopped", "Ready")

    assert failed["status"] == "Failed"
    assert failed["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    rollback = failed["rollbackInfo"]["rollbackDeploymentId"]
    assert env.wait(rollback, "Succeeded", "Failed", "Stopped")["status"] == "Succeeded"
    [original] = wait_for(lambda: len(sets := env.task_sets()) == 1 and sets)
    assert original["taskDefinition"] == env.out["task_definition_arn"] and original["status"] == "PRIMARY"
    assert answer(env.test) == f"{env.family}:1" and answer(env.production) == f"{env.family}:1"
