"""UpdateDeploymentGroup and what GetDeploymentGroup returns beyond moto's answer."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.emulator.conftest import Environment


def test_update_deployment_group_changes_what_the_next_deployment_uses(environment: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=2)
    codedeploy = env.codedeploy
    renamed = f"{env['deployment_group']}-renamed"
    answer = codedeploy.update_deployment_group(
        applicationName=env["application"], currentDeploymentGroupName=env["deployment_group"],
        newDeploymentGroupName=renamed, deploymentConfigName="CodeDeployDefault.AllAtOnce",
        autoRollbackConfiguration={"enabled": False, "events": []})
    assert answer["hooksNotCleanedUp"] == []
    group = codedeploy.get_deployment_group(applicationName=env["application"],
                                            deploymentGroupName=renamed)["deploymentGroupInfo"]
    assert group["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"
    assert group["autoRollbackConfiguration"] == {"enabled": False, "events": []}
    assert group["alarmConfiguration"]["enabled"] is True
    assert "lastSuccessfulDeployment" not in group
    with pytest.raises(ClientError) as gone:
        codedeploy.get_deployment_group(applicationName=env["application"],
                                        deploymentGroupName=env["deployment_group"])
    assert gone.value.response["Error"]["Code"] == "DeploymentGroupDoesNotExistException"

    deployment_id = codedeploy.create_deployment(applicationName=env["application"], deploymentGroupName=renamed,
                                                 revision=env.revision("1"))["deploymentId"]
    info = env.wait(deployment_id)
    assert info["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"
    assert info["status"] == "Succeeded"
    group = codedeploy.get_deployment_group(applicationName=env["application"],
                                            deploymentGroupName=renamed)["deploymentGroupInfo"]
    assert group["lastSuccessfulDeployment"]["deploymentId"] == deployment_id
    assert group["lastAttemptedDeployment"]["status"] == "Succeeded"


def test_update_errors(environment: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    for kwargs, code in (
        ({"currentDeploymentGroupName": "nope"}, "DeploymentGroupDoesNotExistException"),
        ({"currentDeploymentGroupName": env["deployment_group"], "deploymentConfigName": "Nope"},
         "DeploymentConfigDoesNotExistException"),
    ):
        with pytest.raises(ClientError) as raised:
            env.codedeploy.update_deployment_group(applicationName=env["application"], **kwargs)
        assert raised.value.response["Error"]["Code"] == code
