"""codedeploy-deploy on the emulator, over HTTP: what a user sees in the log, the outputs and AWS.

Hooks really run on the emulator's instances and the load balancer really serves them, so each test
checks the deployment's effect through the emulated ALB as well as the action's own report.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.emulator.conftest import Environment, answer, wait_for

GITHUB = {"GITHUB_ACTIONS": "true"}



def deploy_args(env: Environment, revision: dict[str, Any] | None, *extra: str) -> list[str]:
    args = ["codedeploy-deploy", "--application", env["application"], "--deployment-group", env["deployment_group"]]
    if revision is not None:
        args += ["--revision", json.dumps(revision)]
    return [*args, *extra]


def deployment_ids(env: Environment) -> list[str]:
    found = env.codedeploy.list_deployments(applicationName=env["application"],
                                            deploymentGroupName=env["deployment_group"])
    return list(found["deployments"])


def hold(env: Environment, emulator: Any, revision: dict[str, Any], **extra: Any) -> str:
    """A deployment created outside the action and kept InProgress for ~3 s (its BeforeInstall delayed once)."""
    emulator.faults.delay("BeforeInstall", 1800, times=1)
    deployment_id = env.create(revision, **extra)
    env.wait(deployment_id, ("InProgress",))
    return deployment_id


def test_rolling_deployment_is_followed_instance_by_instance(environment: Any, emulator: Any, run_cli: Any,
                                                            tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=3)
    result = run_cli(*deploy_args(env, env.revision("2")), env=emulator.env())

    assert result.code == 0, result.log
    out = result.outputs
    assert out["status"] == "Succeeded"
    assert env.info(out["deployment-id"])["status"] == "Succeeded"
    instances = json.loads(out["instances"])
    assert len(instances) == 3
    assert {i["status"] for i in instances} == {"Succeeded"} and {i["failed-hook"] for i in instances} == {""}
    for instance in instances:
        assert f"{instance['id']} ValidateService ✔ Succeeded" in result.log
    # One at a time: the first instance takes traffic again before the second one is blocked.
    first, second = instances[0]["id"], instances[1]["id"]
    assert result.log.index(f"{first} AllowTraffic ✔") < result.log.index(f"{second} BlockTraffic ✔")
    assert out["console-url"].endswith(f"/deployments/{out['deployment-id']}?region=us-east-1")
    assert wait_for(lambda: answer(env.url()) == "version: 2")

    summary = (tmp_path / "summary.md").read_text()
    assert "```mermaid" in summary and "gantt" in summary
    assert all(i["id"] in summary for i in instances)


def test_failing_hook_on_instance_2_of_3_is_explained_and_the_rollback_followed(
        environment: Any, emulator: Any, run_cli: Any, tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=3)
    good = env.revision("1")
    assert env.deploy(good)["status"] == "Succeeded"
    emulator.faults.fail_hook("ValidateService", instance=2)

    result = run_cli(*deploy_args(env, env.revision("2")), env={**emulator.env(), **GITHUB})

    assert result.code == 1, result.log
    out = result.outputs
    assert out["status"] == "Failed"
    instances = json.loads(out["instances"])
    assert [i["status"] for i in instances] == ["Succeeded", "Failed", "Skipped"]
    failed = instances[1]
    assert failed["failed-hook"] == "ValidateService"
    # The annotation names the instance, the hook, the script and carries the hook's own output.
    annotation = next(line for line in result.log.splitlines()
                      if line.startswith(f"::error title=ValidateService failed on {failed['id']}::"))
    assert "running scripts/validate.sh [ScriptFailed]" in annotation
    assert "failed with exit code 1" in annotation
    assert "[stdout]health: ok" in annotation
    # The full tail is in the log, where no line of it can act as a workflow command.
    assert "::stop-commands::" in result.log

    rollback_id = out["rollback-deployment-id"]
    assert rollback_id, result.log
    assert f"Rollback {rollback_id} restored the last good revision" in result.log
    rollback = env.info(rollback_id)
    assert rollback["status"] == "Succeeded" and rollback["revision"] == good
    assert wait_for(lambda: answer(env.url()) == "version: 1")
    summary = (tmp_path / "summary.md").read_text()
    assert rollback_id in summary and "ValidateService" in summary


def test_blue_green_ready_is_continued_automatically_or_left_waiting(environment: Any, emulator: Any,
                                                                    run_cli: Any) -> None:
    env: Environment = environment("asg-blue-green", blue_green={"ready": "STOP_DEPLOYMENT",
                                                                 "ready_wait_minutes": 60})
    auto = run_cli(*deploy_args(env, env.revision("1"), "--original-fleet", "wait"), env=emulator.env())
    assert auto.code == 0, auto.log
    assert auto.outputs["status"] == "Succeeded"
    assert "rerouting traffic to the replacement fleet (traffic-reroute: auto)" in auto.log
    assert "traffic rerouted to the replacement fleet" in auto.log
    assert auto.log.count("ValidateService ✔") == 2  # one line per replacement instance, never repeated
    fleets = {i["fleet"] for i in json.loads(auto.outputs["instances"])}
    assert fleets == {"original", "replacement"}
    assert wait_for(lambda: answer(env.url()) == "version: 1")

    manual = run_cli(*deploy_args(env, env.revision("2"), "--traffic-reroute", "manual"), env=emulator.env())
    assert manual.code == 0, manual.log
    deployment_id = manual.outputs["deployment-id"]
    assert manual.outputs["status"] == "Ready"
    assert env.info(deployment_id)["status"] == "Ready"
    assert answer(env.url()) == "version: 1"  # traffic stays on the original fleet

    # A deployment left in Ready blocks the group: the next run says so at once instead of waiting.
    blocked = run_cli(*deploy_args(env, env.revision("3")), env=emulator.env())
    assert blocked.code == 1, blocked.log
    assert f"the active deployment {deployment_id}" in blocked.log and "is Ready" in blocked.log
    assert f"mode: continue, deployment-id: {deployment_id}" in blocked.log

    resumed = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "continue",
                      "--deployment-id", deployment_id, "--original-fleet", "wait", env=emulator.env())
    assert resumed.code == 0, resumed.log
    assert resumed.outputs["status"] == "Succeeded"
    assert env.info(deployment_id)["status"] == "Succeeded"
    assert wait_for(lambda: answer(env.url()) == "version: 2")


def test_blue_green_step_ends_when_traffic_is_rerouted(environment: Any, emulator: Any, run_cli: Any) -> None:
    # An hour's wait before the original fleet is terminated (6 s here): the step does not sit through it.
    env: Environment = environment("asg-blue-green", blue_green={"termination_wait_minutes": 60})
    first = run_cli(*deploy_args(env, env.revision("1")), env=emulator.env())
    assert first.code == 0, first.log
    assert first.outputs["status"] == "TrafficRerouted"
    first_id = first.outputs["deployment-id"]
    assert env.info(first_id)["status"] == "InProgress"  # CodeDeploy still waits to terminate blue
    assert "original-fleet: leave" in first.log
    assert wait_for(lambda: answer(env.url()) == "version: 1")

    # The next run finds that wait in its way: it ends the wait instead of sitting through it.
    second = run_cli(*deploy_args(env, env.revision("2"), "--original-fleet", "terminate-now"), env=emulator.env())
    assert second.code == 0, second.log
    assert f"the active deployment {first_id} is waiting to terminate its original fleet" in second.log
    assert env.info(first_id)["status"] == "Succeeded"
    assert second.outputs["status"] == "Succeeded"  # terminate-now: the original fleet is gone at the end
    assert "(original-fleet: terminate-now)" in second.log
    assert wait_for(lambda: answer(env.url()) == "version: 2")


def test_timeout_stops_the_deployment_and_rolls_back(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=2)
    good = env.revision("1")
    assert env.deploy(good)["status"] == "Succeeded"
    # 100 s on the first instance at the test clock: past the shortest timeout there is, 1m.
    emulator.faults.delay("BeforeInstall", 60_000, times=1)

    started = time.monotonic()
    result = run_cli(*deploy_args(env, env.revision("2"), "--timeout", "1m"), env=emulator.env())

    assert result.code == 1, result.log
    out = result.outputs
    assert out["status"] == "Stopped"
    assert "timed out" in result.log and "stopping" in result.log and "rolling back" in result.log
    info = env.info(out["deployment-id"])
    assert info["status"] == "Stopped"
    rollback_id = out["rollback-deployment-id"]
    assert rollback_id == info["rollbackInfo"]["rollbackDeploymentId"]
    # After a timeout there is time to follow the rollback to its end: the step reports where the fleet is.
    assert f"Rollback {rollback_id} restored the last good revision" in result.log
    assert env.info(rollback_id)["revision"] == good
    assert 60 <= time.monotonic() - started < 80


@pytest.mark.parametrize(("timeout", "message"), [
    ("30", "give a unit: 30m or 30s"),
    ("0s", "must be at least 1m"),
    ("0.5s", "must be at least 1m"),
    ("100000h", "must be at most 120h"),
])
def test_a_timeout_that_would_stop_production_at_once_is_refused(environment: Any, emulator: Any, run_cli: Any,
                                                                timeout: str, message: str) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    result = run_cli(*deploy_args(env, env.revision("1"), "--timeout", timeout), env=emulator.env())
    assert result.code == 2, result.log
    assert f"input 'timeout' = '{timeout}': {message}" in result.log
    assert deployment_ids(env) == []


@pytest.mark.parametrize(("choice", "deployment_status"), [
    ("stop-and-rollback", "Stopped"),
    ("stop", "Stopped"),
    ("leave", "Succeeded"),
])
def test_sigterm_while_following_carries_out_on_cancel(environment: Any, emulator: Any, choice: str,
                                                      deployment_status: str, tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    assert env.deploy(env.revision("1"))["status"] == "Succeeded"
    emulator.faults.delay("BeforeInstall", 1800)
    # Its own process, as on a runner: the runner sends SIGTERM when the workflow is cancelled.
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy_actions", *deploy_args(env, env.revision("2"), "--on-cancel", choice)],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DEPLOY_ACTIONS_SUMMARY": str(tmp_path / "s.md"),
             **emulator.env()},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True)
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + 20
    while not any("Created deployment" in line for line in seen):
        assert time.monotonic() < deadline, "".join(seen)
        seen.append(lines.get(timeout=20))
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
    reader.join(timeout=5)
    while not lines.empty():
        seen.append(lines.get())
    emulator.faults.clear()
    log = "".join(seen)

    assert process.returncode == 128 + signal.SIGTERM, log  # 143, as a shell reports it
    deployment_id = log.split("Created deployment ", 1)[1].split()[0]
    assert "cancelled (SIGTERM)" in log
    assert env.wait(deployment_id)["status"] == deployment_status
    rollback = env.info(deployment_id).get("rollbackInfo", {}).get("rollbackDeploymentId")
    assert bool(rollback) == (choice == "stop-and-rollback")
    if rollback:
        assert env.wait(rollback)["status"] == "Succeeded"  # and nothing of this test runs on into the next
    if choice == "leave":
        assert f"leaving {deployment_id} running" in log


@pytest.mark.parametrize("choice", ["wait", "fail", "stop-previous"])
def test_an_active_deployment_in_the_way(environment: Any, emulator: Any, run_cli: Any, choice: str) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    active = hold(env, emulator, env.revision("1"))

    result = run_cli(*deploy_args(env, env.revision("2"), "--if-active", choice), env=emulator.env())

    if choice == "fail":
        assert result.code == 1, result.log
        assert f"already has an active deployment {active}" in result.log
        assert deployment_ids(env) == [active]
        assert env.wait(active)["status"] == "Succeeded"  # left alone
        return
    assert result.code == 0, result.log
    assert result.outputs["status"] == "Succeeded"
    assert result.outputs["deployment-id"] != active
    expected = {"wait": "Succeeded", "stop-previous": "Stopped"}[choice]
    assert env.info(active)["status"] == expected
    assert f"(if-active: {choice})" in result.log
    assert wait_for(lambda: answer(env.url()) == "version: 2")


def test_mode_rollback_redeploys_the_previous_good_revision(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=2)
    first, second = env.revision("1"), env.revision("2")
    assert env.deploy(first)["status"] == "Succeeded"
    previous = deployment_ids(env)[0]
    assert env.deploy(second)["status"] == "Succeeded"
    assert wait_for(lambda: answer(env.url()) == "version: 2")

    result = run_cli(*deploy_args(env, None, "--mode", "rollback"), env=emulator.env())

    assert result.code == 0, result.log
    assert f"Rolling back to the revision deployed by {previous}" in result.log
    info = env.info(result.outputs["deployment-id"])
    assert info["status"] == "Succeeded" and info["revision"] == first
    assert wait_for(lambda: answer(env.url()) == "version: 1")


def test_mode_stop_stops_a_running_deployment(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    active = hold(env, emulator, env.revision("1"))
    result = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "stop",
                     "--deployment-id", active, "--auto-rollback", "off", env=emulator.env())
    assert result.code == 0, result.log  # asked to stop, and stopped
    assert result.outputs["status"] == "Stopped"
    assert env.info(active)["status"] == "Stopped"


def test_sequence_check_never_deploys_an_older_run_over_a_newer_one(environment: Any, emulator: Any,
                                                                    run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    newer = run_cli(*deploy_args(env, env.revision("8"), "--sequence-check", "true", "--run-number", "8"),
                    env=emulator.env())
    assert newer.code == 0, newer.log
    assert env.info(newer.outputs["deployment-id"])["description"].endswith("(run #8)")

    older = run_cli(*deploy_args(env, env.revision("7"), "--sequence-check", "true", "--run-number", "7"),
                    env=emulator.env())
    assert older.code == 0, older.log
    assert older.outputs["status"] == "Skipped"
    assert "an older run never overwrites a newer one" in older.log
    assert deployment_ids(env) == [newer.outputs["deployment-id"]]
    assert answer(env.url()) == "version: 8"

    # A newer run still in progress counts too: an older run waiting behind it never deploys after it.
    active = hold(env, emulator, env.revision("10"), description="release (run #10)")
    behind = run_cli(*deploy_args(env, env.revision("9"), "--sequence-check", "true", "--run-number", "9"),
                     env=emulator.env())
    assert behind.code == 0 and behind.outputs["status"] == "Skipped", behind.log
    assert f"{active} (InProgress) comes from run #10" in behind.log
    assert env.wait(active)["status"] == "Succeeded"

    # Run #11 fails and CodeDeploy rolls back to #10's code: the rollback has no mark, #10's still counts.
    emulator.faults.fail_hook("ValidateService", instance=1)
    failed = run_cli(*deploy_args(env, env.revision("11"), "--sequence-check", "true", "--run-number", "11"),
                     env=emulator.env())
    assert failed.code == 1 and failed.outputs["rollback-deployment-id"], failed.log
    stale = run_cli(*deploy_args(env, env.revision("9"), "--sequence-check", "true", "--run-number", "9"),
                    env=emulator.env())
    assert stale.code == 0 and stale.outputs["status"] == "Skipped", stale.log
    assert "comes from run #10" in stale.log

    # By default the run number comes from the CI, and the check is on whenever it is known.
    workflow = {"GITHUB_RUN_NUMBER": "12", "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/deploy.yml@refs/heads/main"}
    again = run_cli(*deploy_args(env, env.revision("12")), env={**emulator.env(), **workflow})
    assert again.code == 0 and again.outputs["status"] == "Succeeded", again.log
    assert env.info(again.outputs["deployment-id"])["description"].endswith(
        "(run #12 of o/r/.github/workflows/deploy.yml)")
    late = run_cli(*deploy_args(env, env.revision("11")), env={**emulator.env(), **workflow,
                                                                "GITHUB_RUN_NUMBER": "11"})
    assert late.code == 0 and late.outputs["status"] == "Skipped" and "superseded" in late.log, late.log
    # A re-run of the newest run (same number) deploys again.
    rerun = run_cli(*deploy_args(env, env.revision("12")), env={**emulator.env(), **workflow})
    assert rerun.code == 0 and rerun.outputs["status"] == "Succeeded", rerun.log
    # Another workflow's runs are counted apart: its run #1 is not older than deploy.yml's #12.
    other = run_cli(*deploy_args(env, env.revision("13")), env={
        **emulator.env(), "GITHUB_RUN_NUMBER": "1", "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/rollback.yml@x"})
    assert other.code == 0 and other.outputs["status"] == "Succeeded", other.log
    assert answer(env.url()) == "version: 13"


def test_an_older_run_that_loses_the_create_race_checks_the_sequence_again(
        environment: Any, emulator: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run #31 passes its checks; just before its CreateDeployment, run #32 creates its own. #31 must not
    wait for #32 and then deploy over it."""
    from deploy_actions.core.aws import AwsClients

    env: Environment = environment("ec2-rolling", instances=1)
    ci = {"GITHUB_WORKFLOW_REF": "o/r/.github/workflows/deploy.yml@refs/heads/main"}
    newer: dict[str, Any] = {}
    original = AwsClients.client

    def client(self: AwsClients, service: str, **options: Any) -> Any:
        made = original(self, service, **options)
        if service == "codedeploy" and not options and "hooked" not in newer:  # the first run's client only
            newer["hooked"] = newer["pending"] = True

            def newer_run_first(**_: Any) -> None:
                if newer.pop("pending", False):
                    newer["run"] = run_cli(*deploy_args(env, env.revision("32"), "--wait", "false"),
                                           env={**emulator.env(), **ci, "GITHUB_RUN_NUMBER": "32"})

            made.meta.events.register("before-call.codedeploy.CreateDeployment", newer_run_first)
        return made

    monkeypatch.setattr(AwsClients, "client", client)
    older = run_cli(*deploy_args(env, env.revision("31")), env={**emulator.env(), **ci, "GITHUB_RUN_NUMBER": "31"})
    assert newer["run"].code == 0, newer["run"].log
    assert older.code == 0 and older.outputs["status"] == "Skipped", older.log
    assert "comes from run #32" in older.log
    assert env.wait(newer["run"].outputs["deployment-id"])["status"] == "Succeeded"
    assert answer(env.url()) == "version: 32"
    assert deployment_ids(env) == [newer["run"].outputs["deployment-id"]], older.log


def test_concurrent_runs_leave_the_newest_deployed_and_none_fails(environment: Any, emulator: Any,
                                                                  tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    runs = {}
    for number in (20, 21, 22):
        args = deploy_args(env, env.revision(str(number)))
        runs[number] = subprocess.Popen(
            [sys.executable, "-m", "deploy_actions", *args, "--json"], cwd=tmp_path, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, **emulator.env(), "GITHUB_RUN_NUMBER": str(number),
                 "DEPLOY_ACTIONS_SUMMARY": str(tmp_path / f"summary-{number}.md")})
    finished = {number: run.communicate(timeout=300)[0] for number, run in runs.items()}
    for number, run in runs.items():
        assert run.returncode == 0, finished[number]
        assert "Exception" not in finished[number] and "internal error" not in finished[number], finished[number]
    assert answer(env.url()) == "version: 22"
    statuses = [json.loads(finished[n].strip().splitlines()[-1])["status"] for n in (20, 21, 22)]
    assert statuses[2] == "Succeeded" and set(statuses) <= {"Succeeded", "Skipped"}, statuses


def test_wait_false_returns_the_created_deployment(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    result = run_cli(*deploy_args(env, env.revision("1"), "--wait", "false"), env=emulator.env())
    assert result.code == 0, result.log
    assert result.outputs["status"] == "Created"
    assert env.wait(result.outputs["deployment-id"])["status"] == "Succeeded"


def test_throttled_api_calls_are_retried(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    emulator.faults.throttle(0.2, service="codedeploy")  # one in five CodeDeploy calls answer ThrottlingException
    result = run_cli(*deploy_args(env, env.revision("1")), env={**emulator.env(), "RUNNER_DEBUG": "1"})
    assert result.code == 0, result.log
    assert result.outputs["status"] == "Succeeded"
    assert "AWS API calls:" in result.log  # the call count, in the debug log


def test_a_succeeded_deployment_still_names_the_instance_that_failed(environment: Any, emulator: Any,
                                                                     run_cli: Any) -> None:
    # HalfAtATime on 4 instances tolerates one failure: CodeDeploy says Succeeded; the step fails by default,
    # naming the instance and the capacity left, and passes with a warning when that is accepted.
    env: Environment = environment("ec2-rolling", instances=4, config="CodeDeployDefault.HalfAtATime",
                                   group={"auto_rollback": []})
    emulator.faults.fail_hook("AfterInstall", instance=1)
    result = run_cli(*deploy_args(env, env.revision("1")), env={**emulator.env(), **GITHUB})
    assert result.code == 1, result.log
    assert result.outputs["status"] == "Succeeded"
    failed = [i for i in json.loads(result.outputs["instances"]) if i["status"] == "Failed"]
    assert [i["failed-hook"] for i in failed] == ["AfterInstall"]
    assert f"::error title=AfterInstall failed on {failed[0]['id']} (the deployment succeeded without it)::" \
        in result.log
    assert "capacity is 3/4" in result.log and "allow-failed-instances: true" in result.log

    emulator.faults.fail_hook("AfterInstall", instance=2)
    accepted = run_cli(*deploy_args(env, env.revision("2"), "--allow-failed-instances", "true"),
                       env={**emulator.env(), **GITHUB})
    assert accepted.code == 0, accepted.log
    failed = [i for i in json.loads(accepted.outputs["instances"]) if i["status"] == "Failed"]
    assert f"::warning title=AfterInstall failed on {failed[0]['id']} (the deployment succeeded without it)::" \
        in accepted.log


ECS_APPSPEC = """version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:3
        LoadBalancerInfo: {ContainerName: web, ContainerPort: 80}
"""


def test_an_ecs_appspec_is_sent_as_appspec_content(emulator: Any, run_cli: Any, unique: str, tmp_path: Path) -> None:
    # The emulator does not run ECS deployments yet (ecs-deploy's work); the request reaching CodeDeploy is the point.
    cd = emulator.client("codedeploy")
    app = f"svc-{unique}"
    cd.create_application(applicationName=app, computePlatform="ECS")
    cd.create_deployment_group(
        applicationName=app, deploymentGroupName="prod", serviceRoleArn="arn:aws:iam::123456789012:role/cd",
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": "web", "clusterName": "main"}])
    (tmp_path / "appspec.yaml").write_text(ECS_APPSPEC)
    result = run_cli("codedeploy-deploy", "--application", app, "--deployment-group", "prod",
                     "--appspec", str(tmp_path / "appspec.yaml"), "--wait", "false", env=emulator.env())
    assert result.code == 0, result.log
    revision = cd.get_deployment(deploymentId=result.outputs["deployment-id"])["deploymentInfo"]["revision"]
    assert revision["revisionType"] == "AppSpecContent"
    assert revision["appSpecContent"]["content"].strip() == ECS_APPSPEC.strip()


def test_auto_rollback_off_overrides_the_group(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)  # the group rolls back on failure
    assert env.deploy(env.revision("1"))["status"] == "Succeeded"
    emulator.faults.fail_hook("ValidateService", instance=1)
    result = run_cli(*deploy_args(env, env.revision("2"), "--auto-rollback", "off"), env=emulator.env())
    assert result.code == 1, result.log
    assert result.outputs["status"] == "Failed" and result.outputs["rollback-deployment-id"] == ""
    info = env.info(result.outputs["deployment-id"])
    assert info["autoRollbackConfiguration"]["enabled"] is False
    assert "rollbackDeploymentId" not in info.get("rollbackInfo", {})
    # In a plain log: the failure once, then the hook's lines once, each behind a guard.
    errors = [line for line in result.log.splitlines() if line.startswith("error: ValidateService failed on")]
    assert len(errors) == 1 and errors[0].count("ValidateService failed") == 1 and "[stdout]" not in errors[0]
    assert result.log.count("[stdout]health: ok") == 1 and "  | [stdout]health: ok" in result.log
    # The last word names the cause, not only CodeDeploy's "too many individual instances failed".
    final = [line for line in result.log.splitlines() if line.startswith("error: ")][-1]
    assert "ValidateService failed on i-" in final and "(1 of 1 instances failed)" in final, final


def test_stop_previous_clears_a_deployment_left_in_ready(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("asg-blue-green", blue_green={"ready": "STOP_DEPLOYMENT",
                                                                 "ready_wait_minutes": 60})
    manual = run_cli(*deploy_args(env, env.revision("1"), "--traffic-reroute", "manual"), env=emulator.env())
    assert manual.code == 0 and manual.outputs["status"] == "Ready", manual.log
    result = run_cli(*deploy_args(env, env.revision("2"), "--if-active", "stop-previous"), env=emulator.env())
    assert result.code == 0, result.log
    assert env.info(manual.outputs["deployment-id"])["status"] == "Stopped"
    assert result.outputs["status"] in ("TrafficRerouted", "Succeeded")
    assert wait_for(lambda: answer(env.url()) == "version: 2")
