"""In-place deployments over HTTP: hooks really run, diagnostics, minimum healthy hosts, rollback, stop."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.emulator.conftest import EXAMPLE_APP, Environment, answer, wait_for

FAILING_VALIDATE = """#!/bin/sh
echo "checking http://$EMULATOR_INSTANCE_IP:$EMULATOR_INSTANCE_PORT/health"
echo "health check failed: version 2 answers 500" >&2
exit 3
"""


def test_one_at_a_time_stops_at_instance_2_of_3_with_the_hooks_output(environment: Any, emulator: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=3, group={"auto_rollback": []})
    emulator.faults.fail_hook("ValidateService", instance=2)
    info = env.deploy(env.revision("1"))

    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    assert info["deploymentOverview"] == {"Pending": 0, "InProgress": 0, "Succeeded": 1, "Failed": 1,
                                          "Skipped": 1, "Ready": 0}
    assert info["startTime"] <= info["completeTime"]
    first, second, third = env.targets(info["deploymentId"])
    assert [first["status"], second["status"], third["status"]] == ["Succeeded", "Failed", "Skipped"]

    events = {e["lifecycleEventName"]: e for e in second["lifecycleEvents"]}
    validate = events["ValidateService"]
    assert validate["status"] == "Failed"
    diagnostics = validate["diagnostics"]
    assert diagnostics["errorCode"] == "ScriptFailed"
    assert diagnostics["scriptName"] == "scripts/validate.sh"
    assert diagnostics["message"] == ("Script at specified location: scripts/validate.sh run as user root "
                                      "failed with exit code 1")
    assert diagnostics["logTail"].startswith("LifecycleEvent - ValidateService\nScript - scripts/validate.sh\n")
    assert "[stdout]health: ok" in diagnostics["logTail"]  # the hook's own output
    assert [events[n]["status"] for n in ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")] == ["Skipped"] * 3
    assert all(e["status"] == "Skipped" for e in third["lifecycleEvents"])

    # The deprecated instance API returns the same event, under the instance's ARN.
    instance = env.codedeploy.get_deployment_instance(deploymentId=info["deploymentId"],
                                                      instanceId=second["targetId"])["instanceSummary"]
    assert instance["instanceId"] == second["targetArn"]
    validate_again = next(e for e in instance["lifecycleEvents"] if e["lifecycleEventName"] == "ValidateService")
    assert validate_again["diagnostics"] == diagnostics
    failed = env.codedeploy.list_deployment_instances(deploymentId=info["deploymentId"],
                                                      instanceStatusFilter=["Failed"])["instancesList"]
    assert failed == [second["targetId"]]


def test_hooks_get_codedeploy_variables_and_their_own_failure_output(environment: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    show_env = ('#!/bin/sh\necho "event=$LIFECYCLE_EVENT id=$DEPLOYMENT_ID app=$APPLICATION_NAME '
                'group=$DEPLOYMENT_GROUP_NAME gid=$DEPLOYMENT_GROUP_ID"\necho "root=$EMULATOR_INSTANCE_ROOT"\n')
    revision = env.revision("2", {"scripts/before_install.sh": show_env, "scripts/validate.sh": FAILING_VALIDATE})
    info = env.deploy(revision)
    group_id = env.codedeploy.get_deployment_group(applicationName=env["application"], deploymentGroupName=env[
        "deployment_group"])["deploymentGroupInfo"]["deploymentGroupId"]
    (target,) = env.targets(info["deploymentId"])
    events = {e["lifecycleEventName"]: e for e in target["lifecycleEvents"]}
    before = events["BeforeInstall"]["diagnostics"]
    assert (f"[stdout]event=BeforeInstall id={info['deploymentId']} app={env['application']} "
            f"group={env['deployment_group']} gid={group_id}") in before["logTail"]
    assert f"/instances/{target['targetId']}" in before["logTail"]
    validate = events["ValidateService"]["diagnostics"]
    assert validate["message"].endswith("failed with exit code 3")
    assert "[stderr]health check failed: version 2 answers 500" in validate["logTail"]
    assert "[stdout]checking http://127." in validate["logTail"]


def test_a_hook_that_outlives_its_timeout_is_killed(environment: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    appspec = (EXAMPLE_APP / "appspec.yml").read_text().replace(
        "scripts/validate.sh\n      timeout: 30", "scripts/validate.sh\n      timeout: 1")
    slow = "#!/bin/sh\necho waiting forever\nsleep 60\n"
    info = env.deploy(env.revision("1", {"appspec.yml": appspec, "scripts/validate.sh": slow}))
    (target,) = env.targets(info["deploymentId"])
    validate = next(e for e in target["lifecycleEvents"] if e["lifecycleEventName"] == "ValidateService")
    assert validate["diagnostics"]["errorCode"] == "ScriptTimedOut"
    assert validate["diagnostics"]["message"].endswith("failed to complete in 1 seconds")
    assert "[stdout]waiting forever" in validate["diagnostics"]["logTail"]


def test_failure_rolls_back_to_the_last_successful_revision(environment: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=2)
    good = env.revision("1")
    assert env.deploy(good)["status"] == "Succeeded"
    assert wait_for(lambda: answer(env.url()) == "version: 1")

    bad = env.deploy(env.revision("2", {"scripts/validate.sh": FAILING_VALIDATE}))
    assert bad["status"] == "Failed"
    rollback_id = bad["rollbackInfo"]["rollbackDeploymentId"]
    rollback = env.wait(rollback_id)
    assert rollback["status"] == "Succeeded", env.failure(rollback)
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["revision"] == good
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == bad["deploymentId"]
    assert wait_for(lambda: answer(env.url()) == "version: 1")
    group = env.codedeploy.get_deployment_group(applicationName=env["application"],
                                                deploymentGroupName=env["deployment_group"])["deploymentGroupInfo"]
    assert group["lastSuccessfulDeployment"]["deploymentId"] == rollback_id
    assert group["targetRevision"] == good

    # The deployment's own autoRollbackConfiguration overrides the group's.
    no_rollback = env.deploy(env.revision("3", {"scripts/validate.sh": FAILING_VALIDATE}),
                             autoRollbackConfiguration={"enabled": False, "events": []})
    assert no_rollback["status"] == "Failed"
    assert "rollbackDeploymentId" not in no_rollback.get("rollbackInfo", {})


def test_minimum_healthy_hosts(environment: Any, emulator: Any, unique: str) -> None:
    # HalfAtATime on 4 instances keeps 2 healthy: one failure is tolerated, the deployment succeeds.
    env: Environment = environment("ec2-rolling", instances=4, config="CodeDeployDefault.HalfAtATime",
                                   group={"auto_rollback": []})
    emulator.faults.fail_hook("AfterInstall", instance=1)
    info = env.deploy(env.revision("1"))
    assert info["status"] == "Succeeded"
    assert info["deploymentOverview"]["Failed"] == 1 and info["deploymentOverview"]["Succeeded"] == 3

    # A custom config that needs every host healthy can never deploy.
    name = f"AllHealthy-{unique}"
    env.codedeploy.create_deployment_config(deploymentConfigName=name,
                                            minimumHealthyHosts={"type": "HOST_COUNT", "value": 4})
    info = env.deploy(env.revision("2"), deploymentConfigName=name)
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS_INVALID"


def test_stop_deployment(environment: Any, emulator: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=2, group={"auto_rollback": []})
    emulator.faults.delay("BeforeInstall", 3600)  # holds the first instance for 6 s at the test clock
    deployment_id = env.create(env.revision("1"))
    env.wait(deployment_id, ("InProgress",))
    with pytest.raises(ClientError) as second:
        env.create(env.revision("2"))
    assert second.value.response["Error"]["Code"] == "DeploymentLimitExceededException"

    stop = env.codedeploy.stop_deployment(deploymentId=deployment_id)
    assert stop["status"] == "Pending"
    info = env.wait(deployment_id, timeout=5)
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "MANUAL_STOP"
    assert "rollbackDeploymentId" not in info.get("rollbackInfo", {})
    with pytest.raises(ClientError) as again:
        env.codedeploy.stop_deployment(deploymentId=deployment_id)
    assert again.value.response["Error"]["Code"] == "DeploymentAlreadyCompletedException"


def test_alarm_stops_the_deployment_and_rolls_back(environment: Any, emulator: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=2)
    good = env.revision("1")
    assert env.deploy(good)["status"] == "Succeeded"
    alarm = env.codedeploy.get_deployment_group(applicationName=env["application"], deploymentGroupName=env[
        "deployment_group"])["deploymentGroupInfo"]["alarmConfiguration"]["alarms"][0]["name"]
    emulator.faults.delay("BeforeInstall", 600)
    deployment_id = env.create(env.revision("2"))
    env.wait(deployment_id, ("InProgress",))
    emulator.faults.alarm_at(alarm, at=0, real_delay=0)
    info = env.wait(deployment_id, timeout=10)
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert alarm in info["errorInformation"]["message"]
    rollback = env.wait(info["rollbackInfo"]["rollbackDeploymentId"])
    assert rollback["status"] == "Succeeded", env.failure(rollback)
    assert rollback["revision"] == good


def test_unknown_deployment_errors(codedeploy: Any) -> None:
    for call, kwargs, code in (
        (codedeploy.get_deployment, {"deploymentId": "d-NOTHERE00"}, "DeploymentDoesNotExistException"),
        (codedeploy.stop_deployment, {"deploymentId": "d-NOTHERE00"}, "DeploymentDoesNotExistException"),
        (codedeploy.list_deployment_targets, {"deploymentId": "d-NOTHERE00"}, "DeploymentDoesNotExistException"),
    ):
        with pytest.raises(ClientError) as raised:
            call(**kwargs)
        assert raised.value.response["Error"]["Code"] == code



def test_application_stop_runs_the_previous_revisions_script(environment: Any) -> None:
    # AllAtOnce: with one instance, OneAtATime would forgive a failure on its last instance
    env: Environment = environment("ec2-rolling", instances=1, config="CodeDeployDefault.AllAtOnce",
                                   group={"auto_rollback": []})
    # stops the app, then fails: the next deployment's ApplicationStop runs it
    broken_stop = (EXAMPLE_APP / "scripts/stop.sh").read_text() + "echo 'stop script of version 1' >&2\nexit 7\n"
    first = env.deploy(env.revision("1", {"scripts/stop.sh": broken_stop}))
    assert first["status"] == "Succeeded"  # no previous revision: nothing to stop

    second = env.deploy(env.revision("2"))
    assert second["status"] == "Failed"
    (target,) = env.targets(second["deploymentId"])
    stop = next(e for e in target["lifecycleEvents"] if e["lifecycleEventName"] == "ApplicationStop")
    assert "[stderr]stop script of version 1" in stop["diagnostics"]["logTail"]

    third = env.deploy(env.revision("3"), ignoreApplicationStopFailures=True)
    assert third["status"] == "Succeeded", env.failure(third)
    # AWS documents no order for ListDeployments; the emulator lists oldest first, so a caller that takes
    # the first id for the newest is caught here, not in production.
    assert env.codedeploy.list_deployments(applicationName=env["application"], deploymentGroupName=env[
        "deployment_group"])["deployments"] == [first["deploymentId"], second["deploymentId"], third["deploymentId"]]
    revision = env.codedeploy.get_application_revision(applicationName=env["application"],
                                                       revision=third["revision"])["revisionInfo"]
    assert revision["deploymentGroups"] == [env["deployment_group"]]
    assert revision["firstUsedTime"] <= revision["lastUsedTime"]


def test_a_single_instance_that_fails_fails_the_deployment(environment: Any, emulator: Any) -> None:
    # OneAtATime lets the last instance fail, but AWS needs at least one instance to succeed.
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    emulator.faults.fail_hook("ValidateService", instance=1)
    info = env.deploy(env.revision("1"))
    assert info["status"] == "Failed", env.failure(info)
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
