"""Blue/green deployments with COPY_AUTO_SCALING_GROUP, over HTTP and through the emulated ALB."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.emulator.conftest import Environment, answer, wait_for


def asg_names(env: Environment) -> list[str]:
    group = env.codedeploy.get_deployment_group(applicationName=env["application"],
                                                deploymentGroupName=env["deployment_group"])["deploymentGroupInfo"]
    return [g["name"] for g in group["autoScalingGroups"]]


def test_waits_in_ready_until_continued_then_reroutes_and_terminates_blue(environment: Any, emulator: Any) -> None:
    env: Environment = environment("asg-blue-green", blue_green={"ready": "STOP_DEPLOYMENT", "ready_wait_minutes": 60})
    autoscaling = emulator.client("autoscaling")
    first = env.create(env.revision("1"))
    env.wait(first, ("Ready",))
    env.codedeploy.continue_deployment(deploymentId=first, deploymentWaitType="READY_WAIT")
    assert env.wait(first)["status"] == "Succeeded"
    assert wait_for(lambda: answer(env.url()) == "version: 1")
    blue_asg = asg_names(env)[0]
    blue_instances = {i["InstanceId"] for g in autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=[blue_asg])["AutoScalingGroups"] for i in g["Instances"]}

    second = env.create(env.revision("2"))
    info = env.wait(second, ("Ready",))
    targets = env.targets(second)
    green = [t for t in targets if t.get("instanceLabel") == "Green"]
    blue = [t for t in targets if t.get("instanceLabel") == "Blue"]
    assert len(green) == 2 and len(blue) == 2
    assert {t["status"] for t in green} == {"Ready"}
    assert {t["targetId"] for t in blue} == blue_instances
    assert info["deploymentOverview"]["Ready"] == 2
    assert answer(env.url()) == "version: 1"  # traffic stays on blue while waiting
    with pytest.raises(ClientError) as wrong_wait:
        env.codedeploy.continue_deployment(deploymentId=second, deploymentWaitType="TERMINATION_WAIT")
    assert wrong_wait.value.response["Error"]["Code"] == "InvalidDeploymentWaitTypeException"

    env.codedeploy.continue_deployment(deploymentId=second, deploymentWaitType="READY_WAIT")
    waiting = wait_for(lambda: (i := env.info(second)).get("instanceTerminationWaitTimeStarted") and i)
    assert waiting["status"] == "InProgress"
    assert answer(env.url()) == "version: 2"
    done = env.wait(second)
    assert done["status"] == "Succeeded", env.failure(done)
    green_asg = asg_names(env)[0]
    assert green_asg == f"CodeDeploy_{env['deployment_group']}_{second}"
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[blue_asg])["AutoScalingGroups"] == []
    green_events = [e["lifecycleEventName"] for e in green[0]["lifecycleEvents"]]
    assert green_events == ["ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
                            "ApplicationStart", "ValidateService", "BeforeAllowTraffic", "AllowTraffic",
                            "AfterAllowTraffic"]
    assert [e["lifecycleEventName"] for e in blue[0]["lifecycleEvents"]] == [
        "BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
    health = emulator.client("elbv2").describe_target_health(TargetGroupArn=env["target_groups"]["shop-blue"])
    serving = {d["Target"]["Id"] for d in health["TargetHealthDescriptions"] if d["TargetHealth"]["State"] == "healthy"}
    assert serving == {t["targetId"] for t in green}


def test_continue_outside_ready_is_refused(environment: Any, emulator: Any) -> None:
    env: Environment = environment("asg-blue-green")
    emulator.faults.delay("BeforeInstall", 1200)
    deployment_id = env.create(env.revision("1"))
    env.wait(deployment_id, ("InProgress",))
    with pytest.raises(ClientError) as raised:
        env.codedeploy.continue_deployment(deploymentId=deployment_id)
    assert raised.value.response["Error"]["Code"] == "DeploymentIsNotInReadyStateException"
    env.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=False)
    assert env.wait(deployment_id)["status"] == "Stopped"


def test_stopped_during_the_termination_wait_rolls_traffic_back_to_blue(environment: Any) -> None:
    env: Environment = environment("asg-blue-green", blue_green={"termination_wait_minutes": 600})
    first = env.create(env.revision("1"))
    wait_for(lambda: env.info(first).get("instanceTerminationWaitTimeStarted"))
    env.codedeploy.continue_deployment(deploymentId=first, deploymentWaitType="TERMINATION_WAIT")
    assert env.wait(first, timeout=10)["status"] == "Succeeded"  # not the 60 s the wait would take
    assert wait_for(lambda: answer(env.url()) == "version: 1")
    original_asg = asg_names(env)[0]

    second = env.create(env.revision("2"))
    wait_for(lambda: env.info(second).get("instanceTerminationWaitTimeStarted"))
    assert answer(env.url()) == "version: 2"
    env.codedeploy.stop_deployment(deploymentId=second, autoRollbackEnabled=True)
    stopped = env.wait(second)
    assert stopped["status"] == "Stopped"
    rollback = env.wait(stopped["rollbackInfo"]["rollbackDeploymentId"])
    assert rollback["status"] == "Succeeded", env.failure(rollback)
    assert asg_names(env) == [original_asg]
    assert wait_for(lambda: answer(env.url()) == "version: 1")


def test_failed_green_install_leaves_blue_serving(environment: Any, emulator: Any) -> None:
    env: Environment = environment("asg-blue-green", config="CodeDeployDefault.OneAtATime")
    assert env.deploy(env.revision("1"))["status"] == "Succeeded"
    original_asg = asg_names(env)[0]
    emulator.faults.fail_hook("ValidateService", instance=1)
    failed = env.deploy(env.revision("2"))
    assert failed["status"] == "Failed"
    # Work never reached is Skipped, as on AWS: the second green instance, every blue one, all their events.
    targets = env.targets(failed["deploymentId"])
    green = {t["targetId"]: t for t in targets if t["instanceLabel"] == "Green"}
    blue = [t for t in targets if t["instanceLabel"] == "Blue"]
    assert sorted(t["status"] for t in green.values()) == ["Failed", "Skipped"]
    assert len(blue) == 2 and {t["status"] for t in blue} == {"Skipped"}
    assert {e["status"] for t in blue for e in t["lifecycleEvents"]} == {"Skipped"}
    assert failed["deploymentOverview"] == {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 1,
                                            "Skipped": 3, "Ready": 0}
    rollback = env.wait(failed["rollbackInfo"]["rollbackDeploymentId"])
    assert rollback["status"] == "Succeeded", env.failure(rollback)
    assert asg_names(env) == [original_asg]
    assert emulator.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[f"CodeDeploy_{env['deployment_group']}_{failed['deploymentId']}"])[
        "AutoScalingGroups"] == []
    assert answer(env.url()) == "version: 1"


def test_a_ready_wait_that_expires_stops_the_deployment(environment: Any, emulator: Any) -> None:
    env: Environment = environment("asg-blue-green")
    assert env.deploy(env.revision("1"))["status"] == "Succeeded"
    assert wait_for(lambda: answer(env.url()) == "version: 1")
    original_asg = asg_names(env)[0]
    group = env.codedeploy.get_deployment_group(applicationName=env["application"], deploymentGroupName=env[
        "deployment_group"])["deploymentGroupInfo"]
    settings = group["blueGreenDeploymentConfiguration"]
    settings["deploymentReadyOption"] = {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 1}
    env.codedeploy.update_deployment_group(applicationName=env["application"], currentDeploymentGroupName=env[
        "deployment_group"], blueGreenDeploymentConfiguration=settings)

    expired = env.deploy(env.revision("2"))
    # botocore's model (DeploymentReadyOption.actionOnTimeout, STOP_DEPLOYMENT): "If traffic rerouting is not
    # started before the end of the specified wait period, the deployment status is changed to Stopped."
    assert expired["status"] == "Stopped", env.failure(expired)
    assert expired["errorInformation"]["code"] == "TIMEOUT"
    assert "rollbackDeploymentId" not in expired.get("rollbackInfo", {})
    assert answer(env.url()) == "version: 1" and asg_names(env) == [original_asg]
    # Nothing is left Ready or Pending: the green fleet's traffic events and the blue fleet were never reached.
    assert expired["deploymentOverview"] == {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 2,
                                             "Skipped": 2, "Ready": 0}
    targets = env.targets(expired["deploymentId"])
    for green in (t for t in targets if t["instanceLabel"] == "Green"):
        events = {e["lifecycleEventName"]: e["status"] for e in green["lifecycleEvents"]}
        assert events["ValidateService"] == "Succeeded"
        assert [events[n] for n in ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")] == ["Skipped"] * 3
    blue = [t for t in targets if t["instanceLabel"] == "Blue"]
    assert {t["status"] for t in blue} == {"Skipped"}
    assert {e["status"] for t in blue for e in t["lifecycleEvents"]} == {"Skipped"}
