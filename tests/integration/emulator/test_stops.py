"""Stops and failures as AWS shows them: what a reader sees while a deployment ends, and after.

A reader never sees a half-made record (a rollback id before its deployment exists, a final status
before the rollback it triggers is named, moto's own deployment id); a stop lets the lifecycle event in
flight run to its end, as the agent does, and what was never reached is Skipped.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.codedeploy.models import CodeDeployBackend

from deploy_actions.emulator.codedeploy.engine import Engine
from tests.integration.emulator.conftest import DONE, EXAMPLE_APP, Environment, wait_for

SLOW = 0.5  # real seconds a busy machine may take at the spot where a reader could see a half-made record


def test_a_finished_deployment_names_its_rollback_at_once_and_only_once_it_exists(
        environment: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    assert env.deploy(env.revision("1"))["status"] == "Succeeded"
    create = CodeDeployBackend.create_deployment

    def slowly_for_rollbacks(self: Any, *args: Any, **kwargs: Any) -> Any:
        if str(kwargs.get("description") or "").startswith("Rollback of"):
            time.sleep(SLOW)  # the rollback deployment takes its time to be made
        return create(self, *args, **kwargs)

    monkeypatch.setattr(CodeDeployBackend, "create_deployment", slowly_for_rollbacks)
    emulator.faults.fail_hook("ValidateService", instance=1)
    deployment_id = env.create(env.revision("2"))
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["status"] not in DONE:
        info = env.info(deployment_id)
        seen.append(info)
        rollback_id = info.get("rollbackInfo", {}).get("rollbackDeploymentId")
        if rollback_id:  # never a placeholder: the rollback deployment is there to be read
            assert env.info(rollback_id)["creator"] == "codeDeployRollback"
    final = seen[-1]
    assert final["status"] == "Failed"
    assert final["rollbackInfo"]["rollbackDeploymentId"]  # named as the status turns Failed, not later
    rollback = env.wait(final["rollbackInfo"]["rollbackDeploymentId"])
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert rollback["status"] == "Succeeded", env.failure(rollback)


def test_create_deployment_never_lists_an_id_that_is_not_the_deployments(
        environment: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    adopt = Engine.adopt

    def slowly(self: Engine, *args: Any, **kwargs: Any) -> str:
        time.sleep(SLOW)  # between moto's create and the emulator taking the deployment over
        return adopt(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "adopt", slowly)
    listed: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            listed.update(env.codedeploy.list_deployments(applicationName=env["application"], deploymentGroupName=env[
                "deployment_group"])["deployments"])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        deployment_id = env.create(env.revision("1"))
    finally:
        done.set()
        watcher.join(timeout=10)
    assert listed <= {deployment_id}
    assert env.wait(deployment_id)["status"] == "Succeeded"


def two_scripts_before_install(env: Environment) -> dict[str, Any]:
    """BeforeInstall runs a slow script, then a second one: a stop can come between the two."""
    appspec = (EXAMPLE_APP / "appspec.yml").read_text()
    first = "    - location: scripts/before_install.sh\n      timeout: 30\n"
    assert first in appspec
    slow = "#!/bin/sh\necho 'first script starts'\nsleep 1.5\necho 'first script ends'\n"
    second = "#!/bin/sh\necho 'second script ran'\n"
    return env.revision("2", {
        "appspec.yml": appspec.replace(first, first + "    - location: scripts/second.sh\n      timeout: 30\n"),
        "scripts/before_install.sh": slow, "scripts/second.sh": second})


def test_a_stop_lets_the_event_in_flight_end_and_skips_the_rest(environment: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=2, group={"auto_rollback": []})
    deployment_id = env.create(two_scripts_before_install(env))
    first = wait_for(lambda: next((t for t in env.targets(deployment_id) for e in t["lifecycleEvents"]
                                   if e["lifecycleEventName"] == "BeforeInstall" and e["status"] == "InProgress"),
                                  None))
    stop = env.codedeploy.stop_deployment(deploymentId=deployment_id)
    # AWS's answer while an event still runs (and its words: aws-cli's stop-deployment example).
    assert stop["status"] == "Pending"
    assert stop["statusMessage"] == "No more commands will be scheduled for execution in the deployment instances"

    info = env.wait(deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    assert info["deploymentOverview"] == {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 1,
                                          "Skipped": 1, "Ready": 0}
    stopped = env.target(deployment_id, first["targetId"])
    events = {e["lifecycleEventName"]: e for e in stopped["lifecycleEvents"]}
    before = events["BeforeInstall"]
    # The event in flight ran to its end, both its scripts: no event cut short without script or message.
    assert before["status"] == "Succeeded", before
    assert "[stdout]first script ends" in before["diagnostics"]["logTail"]
    assert "[stdout]second script ran" in before["diagnostics"]["logTail"]
    later = ["Install", "AfterInstall", "ApplicationStart", "ValidateService", "BeforeAllowTraffic", "AllowTraffic",
             "AfterAllowTraffic"]
    assert [events[name]["status"] for name in later] == ["Skipped"] * len(later)
    assert stopped["status"] == "Failed"  # as AWS counts an instance a stop cut short
    (other,) = [t for t in env.targets(deployment_id) if t["targetId"] != first["targetId"]]
    assert other["status"] == "Skipped" and {e["status"] for e in other["lifecycleEvents"]} == {"Skipped"}
    with pytest.raises(ClientError) as again:
        env.codedeploy.stop_deployment(deploymentId=deployment_id)
    assert again.value.response["Error"]["Code"] == "DeploymentAlreadyCompletedException"
