"""ecs-deploy on a CODE_DEPLOY service (the emulator's ecs-codedeploy scenario: task sets, a test listener, a Ready
wait, a canary), over HTTP: the appspec is generated from the service's load balancer and the new task definition,
and CodeDeploy's deployment is followed to its end as codedeploy-deploy follows it."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.emulator.conftest import _no_faults_left as _no_faults_left
from tests.integration.emulator.conftest import answer
from tests.integration.emulator.conftest import emulator as emulator
from tests.integration.emulator.conftest import unique as unique
from tests.integration.emulator.test_ecs_codedeploy import CodeDeployEcs
from tests.integration.emulator.test_ecs_codedeploy import codedeploy_ecs as codedeploy_ecs


def test_a_code_deploy_service_is_deployed_through_codedeploy_with_a_generated_appspec(
        codedeploy_ecs: CodeDeployEcs, aws_emulator: Any, run_cli: Any) -> None:
    env = codedeploy_ecs
    live = env.ecs.describe_services(cluster=env.cluster, services=[env.service])["services"][0]["taskDefinition"]
    base = ["ecs-deploy", "--cluster", env.cluster, "--services", env.service, "--containers",
            "app-api=saiondo/app-api:2", "--timeout", "5m"]

    refused = run_cli(*base, env=aws_emulator.env())
    assert refused.code == 2
    assert "its deployment controller is CODE_DEPLOY: CodeDeploy deploys it: give codedeploy-application" in refused.log

    result = run_cli(*base, "--codedeploy-application", env.application, "--codedeploy-deployment-group", env.group,
                     env=aws_emulator.env())

    assert result.code == 0, result.log
    new = result.outputs["task-definition-arn"]
    assert new.endswith(f"{env.family}:2") and result.outputs["previous-task-definition-arn"] == live
    assert result.outputs["status"] in ("SUCCESSFUL", "TRAFFIC_REROUTED")
    info = env.info(result.outputs["codedeploy-deployment-id"])
    appspec = json.loads(info["revision"]["appSpecContent"]["content"])
    assert appspec["Resources"][0]["TargetService"]["Properties"] == {
        "TaskDefinition": new, "LoadBalancerInfo": {"ContainerName": "app-api", "ContainerPort": 8080}}
    assert answer(env.production) == f"{env.family}:2"  # the production listener serves the new revision
